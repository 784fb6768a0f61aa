//! What each command shows, apart from how a format writes it: the documents of every command,
//! display names and number formatting, shared by the table, Markdown, HTML and XLSX exporters.
//! Pure: no I/O.

pub mod causes;
pub mod inputs;
pub mod sensitivity;
pub mod sources;
pub mod value_of_information;

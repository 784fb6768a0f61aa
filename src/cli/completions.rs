//! `crmcast completions SHELL` (clap_complete) and `crmcast man` (clap_mangen): both are
//! generated from the same clap definition as `--help`, so they never drift from it.

use crate::cli::Cli;
use crate::error::Error;
use crate::export;
use clap::{Args, CommandFactory};
use clap_complete::Shell;
use std::path::{Path, PathBuf};

pub const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  crmcast completions bash > ~/.local/share/bash-completion/completions/crmcast
  crmcast completions zsh > ~/.zfunc/_crmcast      (~/.zshrc: fpath+=~/.zfunc before compinit)
  crmcast completions fish > ~/.config/fish/completions/crmcast.fish
  crmcast completions powershell | Out-String | Invoke-Expression    (in $PROFILE)
  eval (crmcast completions elvish | slurp)                           (in ~/.config/elvish/rc.elv)

Open a new shell afterwards. See docs/EDITORS.md.";

pub const MAN_EXAMPLES: &str = "\
Examples:
  crmcast man > crmcast.1 && man -l crmcast.1
  crmcast man --dir ~/.local/share/man/man1     crmcast.1 and one page per command (crmcast-run.1, …)
  man crmcast-run                               once the folder is on the MANPATH";

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to write the completion script for.
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write the page to this file (atomically) instead of standard output; `-` is standard
    /// output.
    #[arg(long, short, value_name = "FILE", conflicts_with = "dir")]
    pub output: Option<PathBuf>,
    /// Write crmcast.1 and one page per command (crmcast-run.1, …) into this folder, created
    /// if missing.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

pub fn run_completions(args: CompletionsArgs) -> Result<(), Error> {
    let mut command = Cli::command();
    export::write_output(None, "--output", |out| {
        clap_complete::generate(args.shell, &mut command, "crmcast", out);
        Ok(())
    })
}

pub fn run_man(args: ManArgs) -> Result<(), Error> {
    match &args.dir {
        None => export::write_output(args.output.as_deref(), "--output", |out| {
            clap_mangen::Man::new(Cli::command()).render(out)
        }),
        Some(dir) => write_pages(dir),
    }
}

/// One page per command, as `clap_mangen::generate_to` names them, each written atomically.
fn write_pages(dir: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut command = Cli::command().disable_help_subcommand(true);
    command.build();
    let mut pages = Vec::new();
    collect_pages(command, &mut pages);
    // All pages or none (rendered in memory first, then renamed into place together).
    let mut names = Vec::new();
    let mut files = Vec::new();
    for page in pages {
        let name = page.get_filename();
        let mut bytes = Vec::new();
        page.render(&mut bytes)
            .map_err(|e| Error::Internal(format!("rendering the man page {name} failed: {e}")))?;
        files.push((dir.join(&name), bytes));
        names.push(name);
    }
    export::write_outputs_together(&files, "--dir")?;
    say!(
        "wrote {} man pages to {}: {}\nread one with: man -l {}",
        names.len(),
        dir.display(),
        names.join(", "),
        dir.join("crmcast.1").display()
    );
    Ok(())
}

/// The command's page, then its subcommands' (depth first).
fn collect_pages(command: clap::Command, pages: &mut Vec<clap_mangen::Man>) {
    let subcommands: Vec<clap::Command> = command
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .cloned()
        .collect();
    pages.push(clap_mangen::Man::new(command));
    for sub in subcommands {
        collect_pages(sub, pages);
    }
}

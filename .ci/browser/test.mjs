#!/usr/bin/env node
// Renders crmcast's HTML reports in a real browser (Debian's chromium, headless, driven by
// playwright-core) and checks what a reader would see. CI runs it from .ci/run:
//
//   node .ci/browser/test.mjs [options] REPORT.html|DIR ...
//
// For each report (a DIR stands for the *.html files in it) the test
//   - opens it via file:// and fails on any console error, uncaught exception or failed request,
//     and on any request that is not file: or data: (the report must be self-contained);
//   - finds every chart (<svg class="chart" data-chart="ID">) with a non-zero size and at least
//     a few drawn shapes, and no NaN / Infinity / undefined in its attributes or in the page text;
//   - unchecks the first strategy toggle (input.strategy-toggle[data-strategy=K]), checks that
//     every series of K (g.strategy[data-strategy=K]) is hidden while the other strategies' stay,
//     re-checks it and checks they are back;
//   - emulates print media: the toggles must be hidden (an @media print stylesheet), the charts not;
//   - prints it to PDF (A4) and reads the PDF back with pdf.js (inside chromium): the printed
//     text must hold no absolute path, no doubled "(baseline) (baseline)", no seed file name
//     ("002_db8d67a646b952d9.txt", "seed 002"), no scenario file (the appendix, unless asked for),
//     the inputs tables of the page, and no heading on
//     the last line of a page (stranded at its foot);
//   - keeps a full-page PNG screenshot, the PDF and a PNG of every PDF page
//     (NAME.page-N.png, drawn by pdf.js) and its text as read (NAME.pdf.txt) per report in the
//     artefact folder.
//
// Options:
//   --artefacts DIR   where screenshots, PDFs and browser-test.json go (target/browser-artefacts)
//   --optional IDS    comma-separated chart ids a report may lack (none by default)
//   --self-test       also break a copy of each report in known ways (a console error, an
//                     exception, an external request, a missing chart, an empty chart, a toggle
//                     that hides nothing, no print stylesheet) and check that each copy FAILS
//   --chromium PATH   the browser ($CHROMIUM, else /usr/bin/chromium)
//   --no-pdf          skip the PDFs and their checks
// Exit status: 0 all passed, 1 a check failed, 2 bad usage or no browser.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHARTS = [
  'npv_histogram', 'roi_histogram', 'overrun_s_curve', 'slip_s_curve',
  'tornado', 'causes_vs_survey', 'efficient_frontier', 'cost_schedule_scatter',
];
const MIN_DRAWN = 3;            // shapes with a non-zero box a chart must draw
const REPORT_TIMEOUT_MS = 90_000;
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage',
];

// pdf.js (from npm) runs inside chromium, served from this made-up origin by a route, so the PDF
// checks need nothing native and no network.
const PDFJS_BUILD = path.join(path.dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json')), 'build');
const PDF_ORIGIN = 'http://pdf.crmcast.invalid';
const PDF_SCALE = 1.5;          // page images at 1.5 × 72 dpi (A4: 893 × 1263 px)

function usage(message) {
  console.error(`${message}\nusage: node .ci/browser/test.mjs [--artefacts DIR] [--optional ID,...] ` +
    '[--self-test] [--chromium PATH] [--no-pdf] REPORT.html|DIR ...');
  process.exit(2);
}

function parseArgs(argv) {
  const options = {
    artefacts: path.join(ROOT, 'target', 'browser-artefacts'),
    optional: new Set(),
    selfTest: false,
    chromium: process.env.CHROMIUM || '/usr/bin/chromium',
    pdf: true,
    inputs: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => (i + 1 < argv.length ? argv[++i] : usage(`${arg} needs a value`));
    if (arg === '--artefacts') options.artefacts = path.resolve(value());
    else if (arg === '--optional') value().split(',').filter(Boolean).forEach((id) => options.optional.add(id));
    else if (arg === '--self-test') options.selfTest = true;
    else if (arg === '--chromium') options.chromium = value();
    else if (arg === '--no-pdf') options.pdf = false;
    else if (arg === '-h' || arg === '--help') usage('Renders crmcast HTML reports headless and checks them.');
    else if (arg.startsWith('-')) usage(`unknown option ${arg}`);
    else options.inputs.push(arg);
  }
  if (options.inputs.length === 0) usage('no report given');
  const reports = [];
  for (const input of options.inputs) {
    const stat = fs.statSync(input, { throwIfNoEntry: false });
    if (!stat) usage(`${input}: no such file or folder`);
    if (stat.isDirectory()) {
      const found = fs.readdirSync(input).filter((f) => f.endsWith('.html')).sort();
      if (found.length === 0) usage(`${input}: no .html file in this folder`);
      reports.push(...found.map((f) => path.resolve(input, f)));
    } else {
      reports.push(path.resolve(input));
    }
  }
  options.reports = reports;
  return options;
}

// ---------------------------------------------------------------------------------------------
// In-page probes (run inside the browser by page.evaluate)

function probeCharts() {
  const shown = (el) => {
    const box = el.getBoundingClientRect();
    return (box.width > 0 || box.height > 0) &&
      el.checkVisibility({ opacityProperty: true, visibilityProperty: true });
  };
  return [...document.querySelectorAll('svg.chart')].map((svg) => {
    const box = svg.getBoundingClientRect();
    const shapes = [...svg.querySelectorAll('path, rect, circle, ellipse, line, polyline, polygon')];
    const invalid = [];
    for (const el of [svg, ...svg.querySelectorAll('*')]) {
      for (const attr of el.attributes) {
        if (/\bNaN\b|Infinity|\bundefined\b/.test(attr.value)) {
          invalid.push(`<${el.tagName} ${attr.name}="${attr.value.slice(0, 80)}">`);
        }
      }
    }
    return {
      id: svg.dataset.chart ?? null,
      width: Math.round(box.width),
      height: Math.round(box.height),
      shapes: shapes.length,
      drawn: shapes.filter(shown).length,
      invalid: invalid.slice(0, 3),
      invalidCount: invalid.length,
      label: svg.getAttribute('aria-label') || svg.querySelector('title')?.textContent || '',
    };
  });
}

function probeSeries() {
  return [...document.querySelectorAll('svg.chart g.strategy')].map((g) => {
    const box = g.getBoundingClientRect();
    return {
      strategy: g.dataset.strategy,
      chart: g.closest('svg.chart')?.dataset.chart ?? '?',
      visible: (box.width > 0 || box.height > 0) &&
        g.checkVisibility({ opacityProperty: true, visibilityProperty: true }),
    };
  });
}

function probePage() {
  let printRules = 0;
  for (const sheet of document.styleSheets) {
    const media = sheet.media ? [...sheet.media].join(',') : '';
    if (/\bprint\b/.test(media)) printRules += 1;
    let rules = [];
    try { rules = [...sheet.cssRules]; } catch { /* cross-origin: not in a self-contained file */ }
    for (const rule of rules) {
      if (rule.media && /\bprint\b/.test(rule.media.mediaText)) printRules += 1;
    }
  }
  const text = document.body ? document.body.innerText : '';
  return {
    title: document.title,
    printRules,
    nanInText: (text.match(/.{0,40}\bNaN\b.{0,40}/g) || []).slice(0, 3),
    infInText: (text.match(/.{0,40}(?<![\w.])-?inf\b.{0,40}/g) || []).slice(0, 3),
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    toggles: [...document.querySelectorAll('input.strategy-toggle')].map((t) => t.dataset.strategy),
    series: [...new Set([...document.querySelectorAll('svg.chart g.strategy')].map((g) => g.dataset.strategy))],
  };
}

// What the printed page must show: its headings (to find one stranded at a page foot) and the
// titles of its inputs tables.
function probePrint() {
  const shown = (el) => el.checkVisibility({ opacityProperty: true, visibilityProperty: true });
  const clean = (t) => t.replace(/\s+/g, ' ').trim();
  return {
    // Each heading with the note that directly follows it (a heading and its note alone at a
    // page foot are stranded too).
    headings: [...document.querySelectorAll('h1, h2, h3, h4')].filter(shown).map((h) => ({
      text: clean(h.innerText),
      note: h.nextElementSibling?.matches('p.note') ? clean(h.nextElementSibling.innerText) : '',
    })).filter((h) => h.text),
    inputs: [...document.querySelectorAll('#inputs .inputs')].filter((d) => d.querySelector('table[data-inputs]') && shown(d))
      .map((d) => clean(d.querySelector('h3')?.innerText ?? '')),
  };
}

// Runs in a page of PDF_ORIGIN: every page's text as lines (top to bottom) and, when asked, its
// image as a PNG data URL.
async function probePdf({ origin, scale, render }) {
  const pdfjs = await import(`${origin}/pdf.mjs`);
  pdfjs.GlobalWorkerOptions.workerSrc = `${origin}/pdf.worker.mjs`;
  const doc = await pdfjs.getDocument({ url: `${origin}/doc.pdf` }).promise;
  const pages = [];
  for (let n = 1; n <= doc.numPages; n++) {
    const page = await doc.getPage(n);
    const content = await page.getTextContent();
    const rows = [];
    for (const item of content.items) {
      if (!item.str || !item.str.trim()) continue;
      const [x, y] = [item.transform[4], item.transform[5]];
      let row = rows.find((r) => Math.abs(r.y - y) < 2.5);
      if (!row) { row = { y, items: [] }; rows.push(row); }
      row.items.push({ x, end: x + item.width, str: item.str });
    }
    rows.sort((a, b) => b.y - a.y);
    // Pieces that touch (a ligature such as "fi" is its own piece) join without a space.
    const joined = (items) => items.sort((a, b) => a.x - b.x).reduce((text, item, i, all) =>
      (i === 0 ? item.str : text + (item.x - all[i - 1].end > 1 ? ' ' : '') + item.str), '');
    const lines = rows.map((r) => joined(r.items).replace(/\s+/g, ' ').trim());
    let png = null;
    if (render) {
      const viewport = page.getViewport({ scale });
      const canvas = document.createElement('canvas');
      canvas.width = Math.ceil(viewport.width);
      canvas.height = Math.ceil(viewport.height);
      const ctx = canvas.getContext('2d');
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      await page.render({ canvasContext: ctx, viewport }).promise;
      png = canvas.toDataURL('image/png');
    }
    pages.push({ lines, png });
  }
  return pages;
}

async function readPdf(context, pdf, render) {
  const page = await context.newPage();
  try {
    await page.route(`${PDF_ORIGIN}/**`, (route) => {
      const { pathname } = new URL(route.request().url());
      if (pathname === '/doc.pdf') return route.fulfill({ body: pdf, contentType: 'application/pdf' });
      if (pathname === '/pdf.mjs' || pathname === '/pdf.worker.mjs') {
        return route.fulfill({ path: path.join(PDFJS_BUILD, pathname.slice(1)), contentType: 'text/javascript' });
      }
      return route.fulfill({ body: '<!doctype html><meta charset="utf-8"><title>pdf</title>', contentType: 'text/html' });
    });
    await page.goto(`${PDF_ORIGIN}/`);
    return await page.evaluate(probePdf, { origin: PDF_ORIGIN, scale: PDF_SCALE, render });
  } finally {
    await page.close().catch(() => {});
  }
}

const ABSOLUTE_PATH = /(?<![\w.:/~-])(?:\/(?:home|root|tmp|work|Users|var|mnt|opt|srv|usr|private)\/\S+|[A-Za-z]:\\\S+|~\/\S+)/;
const SEED_FILE = /\b\d{3}_[0-9a-f]{16}\.txt\b|\bseeds?\s+0\d\d\b/i;

// Checks the printed PDF's pages (lines of text) against what the page must print.
function checkPdf(pages, print, failures) {
  const all = pages.flatMap((p, i) => p.lines.map((line) => ({ page: i + 1, line })));
  const hit = (re, what) => {
    const found = all.find(({ line }) => re.test(line));
    if (found) failures.push(`the PDF shows ${what} on page ${found.page}: "${found.line.slice(0, 100)}"`);
  };
  hit(ABSOLUTE_PATH, 'an absolute path');
  hit(/\(baseline\)\s*\(baseline\)/i, 'a doubled "(baseline) (baseline)"');
  hit(SEED_FILE, 'a seed file name');
  // CI writes the reports without --appendix: the scenario file must not reach paper.
  hit(/^Appendix: the scenario file$|^\[\[?(?:scenario|project|benefits|factors|mitigations|strategies)\b[^\]]*\]\]?$/, 'the scenario file (an appendix nobody asked to print)');
  const text = all.map(({ line }) => line).join('\n');
  if (print.inputs.length < 4) failures.push(`the printed page has ${print.inputs.length} inputs tables (project, benefits, mitigations, strategies …); expected at least 4`);
  for (const title of print.inputs) {
    if (!all.some(({ line }) => line === title)) failures.push(`the inputs table "${title}" is missing from the PDF`);
  }
  if (!/\bInputs\b/.test(text)) failures.push('the PDF has no "Inputs" section');
  // A heading on the last line of a page (the last page aside), or followed there only by its
  // note, is stranded at the page's foot.
  const headingOf = (line) => print.headings.find((h) => h.text === line || (line.length >= 12 && h.text.startsWith(line)));
  pages.slice(0, -1).forEach((p, i) => {
    for (let k = p.lines.length - 1; k >= Math.max(0, p.lines.length - 6); k--) {
      const heading = headingOf(p.lines[k]);
      if (!heading) continue;
      const after = p.lines.slice(k + 1).join(' ');
      if (after === '' || (heading.note && heading.note.startsWith(after))) {
        failures.push(`the heading "${heading.text}" is stranded at the foot of page ${i + 1}${after ? ' (with only its note)' : ''}`);
      }
      break;
    }
  });
}

// ---------------------------------------------------------------------------------------------

async function setToggle(page, toggle, checked) {
  try {
    await toggle.setChecked(checked, { timeout: 5_000 });
  } catch (error) {
    // A visually hidden checkbox styled through its label: click what a reader clicks.
    const label = page.locator('label').filter({ has: toggle }).first();
    if (await label.count() === 0) throw error;
    await label.click({ timeout: 5_000 });
  }
  if (await toggle.isChecked() !== checked) throw new Error(`the toggle did not become ${checked ? 'checked' : 'unchecked'}`);
}

async function checkReport(context, file, options, { keepArtefacts = true } = {}) {
  const name = path.basename(file).replace(/\.html?$/i, '');
  const failures = [];
  const warnings = [];
  const facts = { charts: [], toggle: null, printHidden: 0 };
  const blocked = new Set();
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on('console', (message) => {
    const where = message.location()?.url ? ` at ${path.basename(message.location().url)}:${message.location().lineNumber}` : '';
    if (message.type() === 'error') failures.push(`console error: ${message.text()}${where}`);
    else if (message.type() === 'warning') warnings.push(`console warning: ${message.text()}${where}`);
  });
  page.on('pageerror', (error) => failures.push(`uncaught exception: ${error.message}`));
  page.on('requestfailed', (request) => {
    if (!blocked.has(request.url())) failures.push(`failed request: ${request.url()} (${request.failure()?.errorText})`);
  });
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
    blocked.add(url);
    failures.push(`request outside the file (the report must be self-contained): ${url.slice(0, 120)}`);
    return route.abort('blockedbyclient');
  });

  const started = Date.now();
  try {
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    await page.waitForTimeout(300); // late errors (timers, deferred scripts)

    const info = await page.evaluate(probePage);
    if (!info.title.trim()) warnings.push('the page has no <title>');
    for (const hit of info.nanInText) failures.push(`NaN in the page text: "${hit.trim()}"`);
    for (const hit of info.infInText) warnings.push(`an infinite value in the page text? "${hit.trim()}"`);
    if (info.overflow > 1) warnings.push(`the page is ${info.overflow}px wider than a 1280px window (horizontal scroll)`);

    // Charts
    const charts = await page.evaluate(probeCharts);
    facts.charts = charts.map(({ id, width, height, shapes, drawn }) => ({ id, width, height, shapes, drawn }));
    for (const id of CHARTS) {
      const found = charts.filter((c) => c.id === id);
      if (found.length === 0) {
        if (!options.optional.has(id)) failures.push(`chart ${id} is missing (no <svg class="chart" data-chart="${id}">)`);
        continue;
      }
      if (found.length > 1) warnings.push(`chart ${id} appears ${found.length} times`);
      for (const chart of found) {
        if (chart.width < 10 || chart.height < 10) failures.push(`chart ${id} has no size on screen (${chart.width}×${chart.height}px)`);
        if (chart.drawn < MIN_DRAWN) failures.push(`chart ${id} draws ${chart.drawn} visible shape(s) of ${chart.shapes}; expected at least ${MIN_DRAWN}`);
        if (chart.invalidCount) failures.push(`chart ${id} has ${chart.invalidCount} attribute(s) with NaN/Infinity/undefined, e.g. ${chart.invalid.join(' ')}`);
        if (!chart.label.trim()) warnings.push(`chart ${id} has no aria-label or <title> (screen readers)`);
      }
    }
    for (const chart of charts) {
      if (!chart.id) warnings.push('an <svg class="chart"> without data-chart');
      else if (!CHARTS.includes(chart.id)) warnings.push(`unknown chart id ${chart.id}`);
    }

    // Strategy toggles
    const toggles = page.locator('input.strategy-toggle');
    if (info.toggles.length === 0) {
      failures.push('no strategy toggle (input.strategy-toggle)');
    } else {
      for (const k of info.toggles) if (!info.series.includes(k)) failures.push(`toggle ${k} controls no series (no g.strategy[data-strategy="${k}"] in a chart)`);
      for (const k of info.series) if (!info.toggles.includes(k)) warnings.push(`series of strategy ${k} have no toggle`);
      const first = toggles.first();
      const k = info.toggles[0];
      if (!(await first.isChecked())) failures.push(`toggle ${k} is not checked when the page opens`);
      const before = await page.evaluate(probeSeries);
      const mine = before.filter((s) => s.strategy === k && s.visible);
      const others = before.filter((s) => s.strategy !== k && s.visible);
      if (mine.length === 0) {
        failures.push(`strategy ${k} has no visible series before its toggle is touched`);
      } else {
        await setToggle(page, first, false);
        const hidden = await page.evaluate(probeSeries);
        const stillShown = hidden.filter((s) => s.strategy === k && s.visible);
        if (stillShown.length) failures.push(`unchecking toggle ${k} leaves ${stillShown.length} of its series still visible (in ${[...new Set(stillShown.map((s) => s.chart))].join(', ')})`);
        const othersLeft = hidden.filter((s) => s.strategy !== k && s.visible);
        if (others.length && othersLeft.length === 0) failures.push(`unchecking toggle ${k} also hides every other strategy's series`);
        await setToggle(page, first, true);
        const again = await page.evaluate(probeSeries);
        const back = again.filter((s) => s.strategy === k && s.visible);
        if (back.length < mine.length) failures.push(`re-checking toggle ${k} brings back ${back.length} of its ${mine.length} series`);
        facts.toggle = { strategy: k, series: mine.length, hidden: mine.length - stillShown.length, restored: back.length };
      }
    }

    const shot = path.join(options.artefacts, `${name}.png`);
    if (keepArtefacts) await page.screenshot({ path: shot, fullPage: true });

    // Print
    await page.emulateMedia({ media: 'print' });
    const printInfo = await page.evaluate(probePage);
    if (printInfo.printRules === 0) failures.push('no print stylesheet (@media print)');
    let shownInPrint = 0;
    const count = await toggles.count();
    for (let i = 0; i < count; i++) if (await toggles.nth(i).isVisible()) shownInPrint += 1;
    if (shownInPrint) failures.push(`${shownInPrint} of ${count} strategy toggles still show in print`);
    facts.printHidden = count - shownInPrint;
    const printCharts = await page.evaluate(probeCharts);
    const lost = printCharts.filter((c) => c.width < 10 || c.height < 10 || c.drawn < Math.min(MIN_DRAWN, c.shapes));
    if (lost.length) failures.push(`in print, chart(s) ${lost.map((c) => c.id).join(', ')} disappear`);
    if (options.pdf) {
      const print = await page.evaluate(probePrint);
      const pdf = await page.pdf({ format: 'A4', printBackground: true });
      const pages = await readPdf(context, pdf, keepArtefacts);
      checkPdf(pages, print, failures);
      facts.pdfPages = pages.length;
      if (keepArtefacts) {
        fs.writeFileSync(path.join(options.artefacts, `${name}.pdf`), pdf);
        fs.writeFileSync(path.join(options.artefacts, `${name}.pdf.txt`),
          pages.map((p, i) => `== page ${i + 1}\n${p.lines.join('\n')}\n`).join(''));
        pages.forEach((p, i) => {
          fs.writeFileSync(path.join(options.artefacts, `${name}.page-${i + 1}.png`),
            Buffer.from(p.png.replace(/^data:image\/png;base64,/, ''), 'base64'));
        });
      }
    }
    await page.emulateMedia({ media: 'screen' });
    // Narrow window (a phone): only a warning, the report is read on screens and paper first.
    await page.setViewportSize({ width: 390, height: 844 });
    const narrow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (narrow > 1) warnings.push(`on a 390px-wide screen the page scrolls sideways by ${narrow}px`);
    if (keepArtefacts) facts.screenshot = path.relative(process.cwd(), shot);
  } catch (error) {
    failures.push(`the test could not finish: ${error.message.split('\n')[0]}`);
  } finally {
    await page.close().catch(() => {});
  }
  return { file, name, ok: failures.length === 0, failures, warnings, seconds: (Date.now() - started) / 1000, ...facts };
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms / 1000}s`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------------------------------------
// Self-test: broken copies of a good report must fail, each for the expected reason.

function inject(html, snippet) {
  const at = html.toLowerCase().lastIndexOf('</body>');
  return at < 0 ? html + snippet : html.slice(0, at) + snippet + html.slice(at);
}

// The report may carry a Content-Security-Policy that blocks scripts and outside requests (as it
// should); the broken copies drop it so that the defect itself, not the policy, is what the test
// must catch. One copy keeps it: an outside request must fail the test either way.
function withoutCsp(html) {
  return html.replace(/<meta[^>]+http-equiv=(["']?)content-security-policy\1[^>]*>/gi, '');
}

const MUTATIONS = [
  {
    name: 'a console error', expect: /console error: self-test/,
    apply: (h) => inject(withoutCsp(h), '<script>console.error("self-test: injected console error")</script>'),
  },
  {
    name: 'an uncaught exception', expect: /uncaught exception: self-test/,
    apply: (h) => inject(withoutCsp(h), '<script>throw new Error("self-test: injected exception")</script>'),
  },
  {
    name: 'an external request', expect: /request outside the file.*example\.invalid/,
    apply: (h) => inject(withoutCsp(h), '<img src="https://example.invalid/pixel.png" alt="">'),
  },
  {
    name: 'an external request under the report\'s own CSP', expect: /example\.invalid/,
    apply: (h) => inject(h, '<img src="https://example.invalid/pixel.png" alt="">'),
  },
  {
    name: 'a missing chart', expect: /chart npv_histogram is missing/,
    apply: (h) => h.replace(/data-chart=(["']?)npv_histogram\1/g, 'data-chart="npv_histogram_gone"'),
  },
  {
    name: 'an empty chart', expect: /chart roi_histogram draws/,
    apply: (h) => inject(withoutCsp(h), `<script>document.querySelectorAll('svg.chart[data-chart="roi_histogram"] > :not(title):not(desc)').forEach((e) => e.remove())</script>`),
  },
  {
    name: 'NaN in a chart', expect: /chart slip_s_curve has .* NaN/,
    apply: (h) => inject(withoutCsp(h), `<script>document.querySelector('svg.chart[data-chart="slip_s_curve"]')?.setAttribute('data-broken', 'M0 NaN')</script>`),
  },
  {
    name: 'a toggle that hides nothing', expect: /leaves \d+ of its series still visible/,
    apply: (h) => inject(withoutCsp(h), `<script>document.querySelectorAll('g.strategy').forEach((g) => { g.style.setProperty('display', 'inline', 'important'); g.style.setProperty('visibility', 'visible', 'important'); g.style.setProperty('opacity', '1', 'important'); })</script>`),
  },
  {
    name: 'a heading at a page foot', expect: /heading .* stranded at the foot of page/,
    apply: (h) => inject(h, '<style>@media print { #causes h2, #inputs h2 { break-before: auto !important; break-after: page !important; } }</style>'),
  },
  {
    name: 'an absolute path', expect: /PDF shows an absolute path/,
    apply: (h) => h.replace(/(<dd>[^<]*\()([^)<]*\.toml)\)/, '$1/home/consultant/clients/$2)'),
  },
  {
    name: 'a doubled baseline', expect: /doubled "\(baseline\) \(baseline\)"/,
    apply: (h) => h.replace(/<th>([^<]*?)\(baseline\)<\/th>/, '<th>$1(baseline) (baseline)</th>'),
  },
  {
    name: 'the scenario file printed', expect: /PDF shows the scenario file/,
    apply: (h) => h.replace(/id="show-appendix"/, 'id="show-appendix" checked'),
  },
  {
    name: 'no inputs tables', expect: /inputs tables/,
    apply: (h) => h.replace(/data-inputs="/g, 'data-gone="'),
  },
  {
    name: 'no print stylesheet', expect: /print/,
    apply: (h) => h.replace(/@media\s+print/gi, '@media not all').replace(/media=(["']?)print\1/gi, 'media="not all"'),
  },
];

async function selfTest(context, file, options, scratch) {
  const html = fs.readFileSync(file, 'utf8');
  const problems = [];
  for (const mutation of MUTATIONS) {
    const copy = path.join(scratch, `self-test-${MUTATIONS.indexOf(mutation)}.html`);
    const broken = mutation.apply(html);
    if (broken === html) { problems.push(`${mutation.name}: could not break the report this way (pattern not found)`); continue; }
    fs.writeFileSync(copy, broken);
    const result = await withTimeout(checkReport(context, copy, options, { keepArtefacts: false }), REPORT_TIMEOUT_MS, mutation.name);
    if (result.ok) problems.push(`${mutation.name}: the broken copy PASSED`);
    else if (!result.failures.some((f) => mutation.expect.test(f))) problems.push(`${mutation.name}: failed, but not for the expected reason: ${result.failures.join('; ')}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(options.chromium)) usage(`no browser at ${options.chromium} (apt-get install chromium, or --chromium PATH)`);
  fs.mkdirSync(options.artefacts, { recursive: true });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'crmcast-chromium-'));
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'crmcast-browser-self-test-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: options.chromium,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
    deviceScaleFactor: 1,
    timeout: 60_000,
  });
  const results = [];
  let failed = 0;
  try {
    console.log(`browser: ${context.browser()?.version() ?? options.chromium}; ${options.reports.length} report(s)`);
    for (const file of options.reports) {
      let result;
      try {
        result = await withTimeout(checkReport(context, file, options), REPORT_TIMEOUT_MS, path.basename(file));
      } catch (error) {
        result = { file, name: path.basename(file), ok: false, failures: [error.message], warnings: [], seconds: REPORT_TIMEOUT_MS / 1000 };
      }
      const rel = path.relative(process.cwd(), file);
      if (result.ok) {
        const shapes = result.charts.reduce((n, c) => n + c.drawn, 0);
        const t = result.toggle;
        console.log(`ok    ${rel}: ${result.charts.length} charts (${shapes} shapes); toggle ${t?.strategy} hides ` +
          `${t?.hidden} series and restores ${t?.restored}; ${result.printHidden} toggles hidden in print; ` +
          `${result.pdfPages ?? 0} PDF pages checked; ` +
          `${result.screenshot} (${result.seconds.toFixed(1)}s)`);
      } else {
        failed += 1;
        console.log(`FAIL  ${rel}:`);
        for (const failure of result.failures) console.log(`        - ${failure}`);
      }
      for (const warning of result.warnings) console.log(`        warning: ${warning}`);
      results.push(result);
    }
    if (options.selfTest) {
      const base = results.find((r) => r.ok);
      if (!base) {
        console.log('self-test: skipped (no report passed to break)');
      } else {
        const problems = await selfTest(context, base.file, options, scratch);
        if (problems.length) {
          failed += 1;
          console.log(`FAIL  self-test on broken copies of ${path.basename(base.file)}: the test misses defects:`);
          for (const problem of problems) console.log(`        - ${problem}`);
        } else {
          console.log(`ok    self-test: ${MUTATIONS.length} broken copies of ${path.basename(base.file)} each fail for the expected reason ` +
            `(${MUTATIONS.map((m) => m.name).join(', ')})`);
        }
      }
    }
  } finally {
    await context.close().catch(() => {});
    fs.rmSync(profile, { recursive: true, force: true });
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  fs.writeFileSync(path.join(options.artefacts, 'browser-test.json'), JSON.stringify(results, null, 2) + '\n');
  if (failed) {
    console.error(`browser test: ${failed} failure(s); artefacts in ${path.relative(process.cwd(), options.artefacts) || '.'}`);
    process.exit(1);
  }
  console.log(`browser test passed; artefacts in ${path.relative(process.cwd(), options.artefacts) || '.'}`);
}

main().catch((error) => {
  console.error(`browser test: ${error.stack || error}`);
  process.exit(1);
});

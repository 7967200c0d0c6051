#!/usr/bin/env node
// Regenerates crates/analysis/src/names/operators.tsv from the npm package mcc-mnc-list at a
// pinned version (MIT; its data is Wikipedia's "Mobile country code" pages, CC BY-SA 4.0).
//
//   node scripts/mcc-mnc/regenerate.mjs
//
// Node 20, no dependencies: `npm pack` fetches the tarball into a temporary folder, its
// integrity is checked against the pinned one, and the tarball is read here (gzip + ustar).
//
// What it keeps, one line per (MCC, MNC):
// - rows whose status is in use: "Operational" or "Temporary operational" (the data has a
//   status; "Not operational", "Unknown", "Reserved", "Planned", "Returned spare" and the
//   like are dropped, so a name is never pinned on a code nobody is known to use);
// - MCC of exactly 3 digits and MNC of 2 or 3 digits, kept as written (leading zeros kept);
//   ranges ("100 - 190"), "?" and 5-digit French private codes are dropped;
// - the operator as people know it: the brand when there is one, else the operator;
// - when several rows share a code (territories sharing their country's MCC, e.g. 310/260 in
//   the US, Puerto Rico and the Virgin Islands), the row of the MCC's home country (the
//   country most rows of that MCC belong to), else the first row in the data's order.
// Tabs and newlines are stripped and runs of spaces collapsed. Sorted by MCC, then MNC.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const PACKAGE = 'mcc-mnc-list';
const VERSION = '1.1.11';
const INTEGRITY =
  'sha512-3kkW2fvLtsKch1ci+t/3VOggmhwAviHv8MzDp8Lq5u8u00QMflLSDiNRtXqAzSfCYoNslAs9Yy8deKreygHS/w==';
const IN_USE = new Set(['Operational', 'Temporary operational']);

const here = dirname(fileURLToPath(import.meta.url));
const OUT = resolve(here, '../../crates/analysis/src/names/operators.tsv');

/** The files of a .tgz (ustar, as npm writes it) by path. */
function untar(tgz) {
  const tar = gunzipSync(tgz);
  const files = new Map();
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const field = (from, len) => header.subarray(from, from + len).toString('utf8').replace(/\0.*$/s, '');
    const name = field(0, 100);
    const prefix = field(345, 155);
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1);
    const path = prefix ? `${prefix}/${name}` : name;
    if (type === '0' || type === '') files.set(path, tar.subarray(at + 512, at + 512 + size));
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

/** Tabs, newlines and repeated spaces out. */
function clean(text) {
  return String(text ?? '').replace(/\s+/g, ' ').trim();
}

function fetchRecords() {
  const tmp = mkdtempSync(join(tmpdir(), 'mcc-mnc-'));
  try {
    const out = execFileSync('npm', ['pack', `${PACKAGE}@${VERSION}`, '--json', '--pack-destination', tmp], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [{ filename }] = JSON.parse(out);
    const tgz = readFileSync(join(tmp, filename));
    const integrity = `sha512-${createHash('sha512').update(tgz).digest('base64')}`;
    if (integrity !== INTEGRITY) throw new Error(`${filename}: integrity ${integrity}, pinned ${INTEGRITY}`);
    const files = untar(tgz);
    const pkg = JSON.parse(files.get('package/package.json'));
    if (pkg.version !== VERSION) throw new Error(`package.json says ${pkg.version}, pinned ${VERSION}`);
    return JSON.parse(files.get('package/mcc-mnc-list.json'));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function homeCountries(records) {
  const counts = new Map();
  for (const r of records) {
    if (!r.countryCode) continue;
    const byCountry = counts.get(r.mcc) ?? new Map();
    byCountry.set(r.countryCode, (byCountry.get(r.countryCode) ?? 0) + 1);
    counts.set(r.mcc, byCountry);
  }
  const home = new Map();
  for (const [mcc, byCountry] of counts) {
    let best = null;
    for (const [cc, n] of byCountry) if (best === null || n > best[1]) best = [cc, n];
    home.set(mcc, best[0]);
  }
  return home;
}

function rows(records) {
  const home = homeCountries(records);
  const chosen = new Map();
  for (const r of records) {
    if (!IN_USE.has(r.status)) continue;
    const mcc = clean(r.mcc);
    const mnc = clean(r.mnc);
    if (!/^\d{3}$/.test(mcc) || !/^\d{2,3}$/.test(mnc)) continue;
    const name = clean(r.brand) || clean(r.operator);
    if (!name) continue;
    const country = clean(r.countryName) || (r.type === 'International' ? 'International' : '');
    const row = { mcc, mnc, name, countryCode: clean(r.countryCode), country };
    const key = `${mcc}\t${mnc}`;
    const before = chosen.get(key);
    if (!before || (before.countryCode !== home.get(mcc) && row.countryCode === home.get(mcc))) {
      chosen.set(key, row);
    }
  }
  const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
  return [...chosen.values()].sort((a, b) => cmp(a.mcc, b.mcc) || cmp(a.mnc, b.mnc));
}

const table = rows(fetchRecords());
const header = [
  `# Mobile network codes: mcc<TAB>mnc<TAB>operator<TAB>country_code<TAB>country_name, ${table.length} rows.`,
  `# Source: npm ${PACKAGE}@${VERSION} (code MIT, Peter Bakondy); data from Wikipedia's "Mobile country code" pages, CC BY-SA 4.0.`,
  '# Only codes in use (Operational, Temporary operational); one row per code. See DATA.md beside this file.',
  '# Regenerate: node scripts/mcc-mnc/regenerate.mjs',
];
const body = table.map((r) => [r.mcc, r.mnc, r.name, r.countryCode, r.country].join('\t'));
writeFileSync(OUT, [...header, ...body].join('\n') + '\n');
console.log(`${OUT}: ${table.length} rows`);

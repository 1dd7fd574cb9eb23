// The HTML reports: one self-contained page per conformance run or model check.
export { writeCheckHtml, checkHtml } from './write-check-html.js';
export { writeRunHtml, runHtml } from './write-run-html.js';
export type { CheckHtmlOptions, ReportedPath, RunHtmlOptions } from './types.js';

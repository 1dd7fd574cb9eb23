// Reads what a machine's source says beyond its config object: the comment lines above each
// property and array element (they cite SPEC IDs, `// SRV-12`) and the text of inline guard
// functions. The config object at run time has neither.
//
// The scanner walks the object literal passed to `createMachine(` token by token, keeping a stack
// of object and array literals with their config path (`states.power.states.on.on.crash`, array
// elements by index: `...on.powerOn.1`). Comments gathered since the previous `,`, `{` or `[` of a
// literal belong to the next key or element. It understands strings, template literals, comments
// and brackets, which is all a machine config needs; anything it cannot place it ignores, so a
// model written differently loses SPEC IDs on its labels (a unit test notices), never a diagram.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { MachineSource } from './types.js';

type TokenKind = 'comment' | 'string' | 'punct' | 'word';

interface Token {
  kind: TokenKind;
  text: string;
  start: number;
  end: number;
}

/** Splits source text into the tokens the walker needs. */
function tokenize(text: string, from: number): Token[] {
  const tokens: Token[] = [];
  let i = from;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      const stop = end < 0 ? n : end;
      tokens.push({ kind: 'comment', text: text.slice(i + 2, stop).trim(), start: i, end: stop });
      i = stop;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      tokens.push({
        kind: 'comment',
        text: text
          .slice(i + 2, stop - 2)
          .replace(/^\s*\*+/gm, '')
          .trim(),
        start: i,
        end: stop,
      });
      i = stop;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < n && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      tokens.push({ kind: 'string', text: text.slice(i + 1, j), start: i, end: j + 1 });
      i = j + 1;
    } else if (c === '`') {
      let j = i + 1;
      let depth = 0;
      while (j < n && (text[j] !== '`' || depth > 0)) {
        if (text[j] === '\\') j++;
        else if (text[j] === '$' && text[j + 1] === '{') {
          depth++;
          j++;
        } else if (text[j] === '}' && depth > 0) depth--;
        j++;
      }
      tokens.push({ kind: 'string', text: text.slice(i + 1, j), start: i, end: j + 1 });
      i = j + 1;
    } else if ('{}[](),:'.includes(c)) {
      tokens.push({ kind: 'punct', text: c, start: i, end: i + 1 });
      i++;
    } else {
      let j = i + 1;
      while (j < n && !/[\s{}[\](),:'"`]/.test(text[j]!) && !(text[j] === '/' && (text[j + 1] === '/' || text[j + 1] === '*'))) j++;
      tokens.push({ kind: 'word', text: text.slice(i, j), start: i, end: j });
      i = j;
    }
  }
  return tokens;
}

interface Frame {
  kind: 'object' | 'array' | 'paren';
  path: string;
  /** Object: the key whose value is being read, or null while expecting a key. */
  key: string | null;
  /** Array: index of the current element. */
  index: number;
  /** Comments since the last separator. */
  comments: string[];
  /** Object: offset where the current value starts (for inline guards). */
  valueStart: number;
}

const join2 = (path: string, key: string | number) => (path ? `${path}.${key}` : String(key));

/** Scans the config object of the first `createMachine(` call in `text`. */
export function scanMachineSource(text: string, file: string): { id: string | null; source: MachineSource } {
  const comments = new Map<string, string>();
  const guards = new Map<string, string>();
  const arrays = new Set<string>();
  let id: string | null = null;
  const at = text.indexOf('createMachine(');
  const source = { file, comments, guards, arrays };
  if (at < 0) return { id, source };
  const tokens = tokenize(text, at + 'createMachine('.length);
  const stack: Frame[] = [];
  const top = () => stack[stack.length - 1];
  const frame = (kind: Frame['kind'], path: string): Frame => ({ kind, path, key: null, index: 0, comments: [], valueStart: -1 });
  /** Attaches pending comments to the element or key at `path`. */
  const attach = (f: Frame, path: string) => {
    if (f.comments.length > 0) comments.set(path, f.comments.join('\n'));
    f.comments = [];
  };
  /** Closes the value of the current key of an object frame at offset `end`. */
  const endValue = (f: Frame, end: number) => {
    if (f.kind === 'object' && f.key === 'guard' && f.valueStart >= 0) {
      const raw = text.slice(f.valueStart, end).trim();
      if (!/^['"`]/.test(raw)) guards.set(f.path, raw);
    }
    f.key = null;
    f.valueStart = -1;
  };
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    const f = top();
    if (t.kind === 'comment') {
      if (f && f.kind !== 'paren' && (f.kind === 'array' || f.key === null)) f.comments.push(t.text);
      continue;
    }
    if (t.kind === 'punct' && (t.text === '{' || t.text === '[' || t.text === '(')) {
      const kind = t.text === '{' ? 'object' : t.text === '[' ? 'array' : 'paren';
      let path = '';
      if (f?.kind === 'object' && f.key !== null) {
        path = join2(f.path, f.key);
        if (f.valueStart < 0) f.valueStart = t.start;
      } else if (f?.kind === 'array') {
        path = join2(f.path, f.index);
        attach(f, path);
      } else if (f) {
        path = `${f.path}()`;
      }
      if (kind === 'paren' && f?.kind === 'object' && f.key !== null) path = `${path}()`;
      if (kind === 'array') arrays.add(path);
      stack.push(frame(kind, path));
      continue;
    }
    if (t.kind === 'punct' && (t.text === '}' || t.text === ']' || t.text === ')')) {
      const closed = stack.pop();
      if (closed?.kind === 'object' && closed.key !== null) endValue(closed, t.start);
      if (stack.length === 0) break;
      continue;
    }
    if (!f) continue;
    if (t.kind === 'punct' && t.text === ',') {
      if (f.kind === 'object') endValue(f, t.start);
      if (f.kind === 'array') f.index++;
      f.comments = [];
      continue;
    }
    if (f.kind === 'object' && f.key === null && (t.kind === 'word' || t.kind === 'string') && tokens[k + 1]?.text === ':') {
      f.key = t.text;
      attach(f, join2(f.path, f.key));
      k++;
      const value = tokens[k + 1];
      if (value) f.valueStart = value.start;
      if (stack.length === 1 && f.key === 'id' && value?.kind === 'string') id = value.text;
      continue;
    }
    if (f.kind === 'array' && f.comments.length > 0) attach(f, join2(f.path, f.index));
  }
  return { id, source };
}

/** Scans every `.ts` file of a directory for machine configs; returns them by machine id. */
export function readMachineSources(dir: string, root: string): Map<string, MachineSource> {
  const found = new Map<string, MachineSource>();
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.ts')) continue;
    const path = join(dir, name);
    const text = readFileSync(path, 'utf8');
    if (!text.includes('createMachine(')) continue;
    const { id, source } = scanMachineSource(text, relative(root, path));
    if (id && !found.has(id)) found.set(id, source);
  }
  return found;
}

/** SPEC IDs cited in a comment, in order of appearance, each once (`SRV-12`, `MIR-5..7`). */
export function specIds(comment: string | undefined): string[] {
  if (!comment) return [];
  return [...new Set([...comment.matchAll(/\b[A-Z]{2,4}-\d+(?:\.\.\d+)?\b/g)].map((m) => m[0]))];
}

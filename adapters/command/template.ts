// Command templates: `{name}` placeholders replaced by shell-quoted values. A placeholder is `{`,
// a name (a lower-case letter, then letters, digits, `_`, `-` or `.`), `}`; `{{` is a literal `{`;
// any other brace is literal, so jq filters and `${VAR}` with upper-case names pass through.

/** A placeholder a template uses that has no value. */
export class TemplateError extends Error {
  constructor(
    message: string,
    readonly template: string,
    readonly missing: readonly string[],
  ) {
    super(message);
    this.name = 'TemplateError';
  }
}

const PLACEHOLDER = /\{\{|\{([a-z][a-zA-Z0-9_.-]*)\}/g;

/** Quotes `value` for sh: single quotes, with embedded single quotes closed, escaped and reopened. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The placeholder names `template` uses, in order of first use. */
export function placeholdersOf(template: string): string[] {
  const names = new Set<string>();
  for (const m of template.matchAll(PLACEHOLDER)) if (m[1] !== undefined) names.add(m[1]);
  return [...names];
}

/**
 * Replaces every placeholder of `template` by its value from `values`, shell-quoted when `quote`
 * (commands), as is otherwise (a URI or path template). Throws a TemplateError naming every
 * placeholder without a value and the names that have one.
 */
export function renderTemplate(template: string, values: Readonly<Record<string, string>>, options: { quote: boolean }): string {
  const missing = placeholdersOf(template).filter((name) => !Object.hasOwn(values, name));
  if (missing.length > 0)
    throw new TemplateError(
      `the template ${JSON.stringify(template)} uses ${missing.map((m) => `{${m}}`).join(', ')}, which ${missing.length === 1 ? 'has' : 'have'} no value here; known: ${Object.keys(
        values,
      )
        .sort()
        .map((k) => `{${k}}`)
        .join(', ')}`,
      template,
      missing,
    );
  return template.replace(PLACEHOLDER, (_whole, name: string | undefined) => {
    if (name === undefined) return '{';
    return options.quote ? shellQuote(values[name]!) : values[name]!;
  });
}

/** Flattens a JSON object into placeholder values: nested members joined with ".", arrays by index; scalars as strings. */
export function variablesOf(value: unknown, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (v: unknown, path: string) => {
    if (v === null || v === undefined) return;
    if (typeof v === 'object') {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) visit(x, path === '' ? k : `${path}.${k}`);
      return;
    }
    if (path !== '') out[path] = String(v);
  };
  visit(value, prefix);
  return out;
}

/**
 * `${VAR}` and `${VAR:-default}` in the plan's string values, resolved from the environment in
 * place on the YAML document, and the secret registry fed with every value that must not leak.
 */
import { isMap, isScalar, isSeq, Scalar, type Document } from 'yaml';
import type { Problem } from '../errors.js';
import { secrets } from '../secrets.js';
import { formatPath, pairKey, type PlanPath, type PlanPositions } from './positions.js';

const REFERENCE = /\$(\$)?\{([^}]*)(\})?/g;
const INNER = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/;
const URL_CREDENTIALS = /^[a-z][a-z0-9+.-]*:\/\/[^:@/\s]*:([^@\s]+)@/i;

export interface InterpolationResult {
  problems: Problem[];
  /** Paths whose value could not be resolved; shape problems under them would only be noise. */
  unresolved: PlanPath[];
}

/** Resolves references in every string value of `doc` (never in keys), registering secrets as it goes. */
export function interpolateDocument(doc: Document, source: string, env: NodeJS.ProcessEnv, positions: PlanPositions): InterpolationResult {
  const result: InterpolationResult = { problems: [], unresolved: [] };
  walk(
    doc.contents,
    [],
    (scalar, path) => interpolateScalar(scalar, path, source, env, positions, result),
    (key, path) => {
      result.unresolved.push(path);
      result.problems.push({
        where: positions.at(key.range?.[0] ?? 0),
        path: formatPath(path),
        message: `a reference in a key (${JSON.stringify(String(key.value))}) is not resolved; only values are interpolated`,
        hint: 'write the key literally',
      });
    },
  );
  return result;
}

function walk(node: unknown, path: PlanPath, visit: (s: Scalar, path: PlanPath) => void, keyProblem: (key: Scalar, path: PlanPath) => void): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = pairKey(pair);
      if (key === undefined) continue;
      if (isScalar(pair.key) && key.includes('${')) keyProblem(pair.key, [...path, key]);
      walk(pair.value, [...path, key], visit, keyProblem);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => walk(item, [...path, i], visit, keyProblem));
  } else if (isScalar(node)) {
    visit(node, path);
  }
}

function interpolateScalar(
  scalar: Scalar,
  path: PlanPath,
  source: string,
  env: NodeJS.ProcessEnv,
  positions: PlanPositions,
  result: InterpolationResult,
): void {
  if (typeof scalar.value !== 'string') return;
  const text = scalar.value;
  const inHeader = path.length === 4 && path[0] === 'targets' && path[2] === 'headers';
  const start = scalar.range?.[0] ?? 0;
  const raw = scalar.range ? source.slice(scalar.range[0], scalar.range[1]) : text;
  let searchFrom = 0;
  let failed = false;
  let out = '';
  let last = 0;

  // Offset of a reference's text in the raw source, so a problem points at the `$` itself.
  const offsetOf = (ref: string): number => {
    const i = raw.indexOf(ref, searchFrom);
    if (i < 0) return start;
    searchFrom = i + ref.length;
    return start + i;
  };

  for (const m of text.matchAll(REFERENCE)) {
    out += text.slice(last, m.index);
    last = m.index + m[0].length;
    if (m[1]) {
      // `$${…}` is the escape for a literal `${…}`.
      out += m[0].slice(1);
      continue;
    }
    const at = positions.at(offsetOf(m[0]));
    if (!m[3]) {
      failed = true;
      result.problems.push({
        where: at,
        path: formatPath(path),
        message: `unterminated reference "${m[0].slice(0, 40)}": expected \${NAME} or \${NAME:-default}`,
        hint: 'close it with "}", or write "$${" for a literal "${"',
      });
      continue;
    }
    const inner = INNER.exec(m[2]!);
    if (!inner) {
      failed = true;
      result.problems.push({
        where: at,
        path: formatPath(path),
        message: `malformed reference "\${${m[2]!.slice(0, 40)}}": expected \${NAME} or \${NAME:-default}`,
        hint: 'variable names are letters, digits and "_", not starting with a digit',
      });
      continue;
    }
    const name = inner[1]!;
    const fallback = inner[2];
    const value = env[name];
    let resolved: string;
    if (value !== undefined && (value !== '' || fallback === undefined)) {
      resolved = value;
      secrets.addIfSecretName(name, value);
      if (inHeader) secrets.add(value);
      if (inHeader && /[\r\n\0]/.test(value)) {
        // Named by header and variable, never by value: it is usually a credential.
        failed = true;
        result.problems.push({
          where: at,
          path: formatPath(path),
          message: `header ${String(path[3])} takes a line break from environment variable ${name}; header values are one line`,
          hint: `remove the line break from ${name} (a trailing newline read from a file is the usual cause, e.g. export ${name}="$(tr -d '\\n' < token.txt)")`,
        });
        continue;
      }
    } else if (fallback !== undefined) {
      resolved = fallback;
    } else {
      failed = true;
      result.problems.push({
        where: at,
        path: formatPath(path),
        message: `environment variable ${name} is not set`,
        hint: `set it (export ${name}=…) before running migrate, or give a default in the plan: \${${name}:-value}`,
      });
      continue;
    }
    out += resolved;
  }
  if (failed) {
    result.unresolved.push(path);
    return;
  }
  if (last === 0) {
    registerSecrets(text, path, inHeader);
    return;
  }
  out += text.slice(last);
  registerSecrets(out, path, inHeader);
  scalar.value = coerce(out, scalar, text);
}

function registerSecrets(value: string, path: PlanPath, inHeader: boolean): void {
  // A header named like a credential (Authorization, X-Api-Key) is secret even when written literally.
  if (inHeader) secrets.addIfSecretName(String(path[3]), value);
  const creds = URL_CREDENTIALS.exec(value);
  if (creds) {
    secrets.add(creds[1]);
    secrets.add(safeDecode(creds[1]!));
    secrets.addUrlCredentials(value);
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * An unquoted `${BATCH}` standing alone reads as the number or boolean it resolves to, as YAML would
 * have read the literal; quoted values stay strings.
 */
function coerce(value: string, scalar: Scalar, original: string): unknown {
  if (scalar.type !== Scalar.PLAIN || !/^\$\{[^}]*\}$/.test(original)) return value;
  if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (value === 'true' || value === 'false') return value === 'true';
  return value;
}

/** Masks credentials in anything URL-shaped and every registered secret, for echoing a value in a message. */
export function redactValue(text: string): string {
  return secrets.redact(text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:@/\s]*:)([^@\s]+)@/gi, '$1***@'));
}


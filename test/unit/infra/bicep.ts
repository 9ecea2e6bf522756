/**
 * A small Bicep reader for the infra tests: a tokenizer and a parser for the subset of Bicep that `infra/` uses
 * (declarations with decorators, object and array literals, strings with interpolation, member access, calls,
 * unary/binary/ternary operators, `for` and `if` bodies), and an evaluator for expressions whose value is known
 * before deployment (literals, parameter defaults, variables, a few functions). Values known only at deployment
 * (module outputs, resource properties) evaluate to `Unknown`; parameters can be given symbolic `Ref` values.
 *
 * It is no validator: the Bicep CLI compiles infra/ (`npm run infra:check`) and reports syntax, symbols, types,
 * API versions, resource properties and local module parameters and outputs. This reader serves the checks the
 * compiler cannot make offline: settings parity with src/config.ts, the parameters given to the public registry's
 * modules (avm.test.ts), main.parameters.json against the parameters, and the design rules in the other tests.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export class BicepSyntaxError extends Error {
  static readonly code = 'BicepSyntaxError';
  readonly code = BicepSyntaxError.code;
  override readonly name = 'BicepSyntaxError';
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`${message} (line ${line})`);
  }
}

type TokenKind = 'ident' | 'number' | 'string' | 'multiline' | 'punct' | 'newline' | 'eof';

interface Token {
  kind: TokenKind;
  /** Identifier, punctuation, number text, or the raw text of a multi-line string. */
  value: string;
  /** For `string`: literal pieces and interpolated expression sources, alternating (pieces[0] is text). */
  pieces?: { text: string[]; exprs: { source: string; line: number }[] };
  line: number;
}

export interface LineComment {
  line: number;
  text: string;
}

const PUNCT = [
  '...',
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '??',
  '=>',
  '.?',
  '{',
  '}',
  '[',
  ']',
  '(',
  ')',
  ',',
  ':',
  '.',
  '=',
  '?',
  '!',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '@',
  '|',
];

/** Splits Bicep text into tokens; comments are dropped from the stream and returned separately. */
export function tokenize(source: string, firstLine = 1): { tokens: Token[]; comments: LineComment[] } {
  const tokens: Token[] = [];
  const comments: LineComment[] = [];
  let i = 0;
  let line = firstLine;
  const at = (k: number) => source[k] ?? '';
  while (i < source.length) {
    const c = at(i);
    if (c === '\n') {
      tokens.push({ kind: 'newline', value: '\n', line });
      line++;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '/' && at(i + 1) === '/') {
      const end = source.indexOf('\n', i);
      const stop = end === -1 ? source.length : end;
      comments.push({ line, text: source.slice(i + 2, stop).trim() });
      i = stop;
      continue;
    }
    if (c === '/' && at(i + 1) === '*') {
      const end = source.indexOf('*/', i + 2);
      if (end === -1) throw new BicepSyntaxError('unterminated block comment', line);
      line += (source.slice(i, end).match(/\n/g) ?? []).length;
      i = end + 2;
      continue;
    }
    if (source.startsWith("'''", i)) {
      const end = source.indexOf("'''", i + 3);
      if (end === -1) throw new BicepSyntaxError('unterminated multi-line string', line);
      const raw = source.slice(i + 3, end);
      tokens.push({ kind: 'multiline', value: raw.startsWith('\n') ? raw.slice(1) : raw, line });
      line += (raw.match(/\n/g) ?? []).length;
      i = end + 3;
      continue;
    }
    if (c === "'") {
      const startLine = line;
      const text: string[] = [];
      const exprs: { source: string; line: number }[] = [];
      let current = '';
      i++;
      for (;;) {
        const ch = at(i);
        if (ch === '') throw new BicepSyntaxError('unterminated string', startLine);
        if (ch === '\n') throw new BicepSyntaxError('line break in a string', startLine);
        if (ch === "'") {
          i++;
          break;
        }
        if (ch === '\\') {
          const next = at(i + 1);
          const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", $: '$' };
          const escaped = escapes[next];
          if (escaped === undefined) throw new BicepSyntaxError(`unknown escape \\${next}`, line);
          current += escaped;
          i += 2;
          continue;
        }
        if (ch === '$' && at(i + 1) === '{') {
          // Interpolation: find the matching brace, skipping nested strings and braces.
          let depth = 1;
          let k = i + 2;
          let inString = false;
          while (k < source.length && depth > 0) {
            const d = at(k);
            if (inString) {
              if (d === '\\') k++;
              else if (d === "'") inString = false;
            } else if (d === "'") inString = true;
            else if (d === '{') depth++;
            else if (d === '}') depth--;
            k++;
          }
          if (depth !== 0) throw new BicepSyntaxError('unterminated interpolation', line);
          text.push(current);
          current = '';
          exprs.push({ source: source.slice(i + 2, k - 1), line });
          i = k;
          continue;
        }
        current += ch;
        i++;
      }
      text.push(current);
      tokens.push({ kind: 'string', value: text.join(''), pieces: { text, exprs }, line: startLine });
      continue;
    }
    if (/[0-9]/.test(c)) {
      let k = i;
      while (/[0-9.]/.test(at(k))) k++;
      tokens.push({ kind: 'number', value: source.slice(i, k), line });
      i = k;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      let k = i;
      while (/[A-Za-z0-9_]/.test(at(k))) k++;
      tokens.push({ kind: 'ident', value: source.slice(i, k), line });
      i = k;
      continue;
    }
    const punct = PUNCT.find((p) => source.startsWith(p, i));
    if (!punct) throw new BicepSyntaxError(`unexpected character '${c}'`, line);
    tokens.push({ kind: 'punct', value: punct, line });
    i += punct.length;
  }
  tokens.push({ kind: 'eof', value: '', line });
  return { tokens, comments };
}

export type Expr =
  | { kind: 'string'; text: string[]; exprs: Expr[] }
  | { kind: 'number'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'null' }
  | { kind: 'ident'; name: string }
  | { kind: 'object'; properties: { key: string; value: Expr; line: number }[] }
  | { kind: 'array'; items: Expr[] }
  | { kind: 'member'; object: Expr; name: string; safe: boolean }
  | { kind: 'index'; object: Expr; index: Expr; safe: boolean }
  | { kind: 'call'; callee: Expr; args: Expr[] }
  | { kind: 'unary'; op: string; operand: Expr }
  | { kind: 'binary'; op: string; left: Expr; right: Expr }
  | { kind: 'ternary'; test: Expr; consequent: Expr; alternate: Expr }
  | { kind: 'for'; item: string; index?: string; iterable: Expr; body: Expr }
  | { kind: 'if'; test: Expr; body: Expr }
  | { kind: 'lambda'; params: string[]; body: Expr };

export interface Decorator {
  name: string;
  args: Expr[];
}

export type Declaration =
  | { kind: 'targetScope'; value: Expr; line: number }
  | { kind: 'param'; name: string; type: string; defaultValue?: Expr; decorators: Decorator[]; line: number }
  | { kind: 'var'; name: string; value: Expr; decorators: Decorator[]; line: number }
  | {
      kind: 'resource';
      name: string;
      type: string;
      existing: boolean;
      value: Expr;
      decorators: Decorator[];
      line: number;
    }
  | { kind: 'module'; name: string; path: string; value: Expr; decorators: Decorator[]; line: number }
  | { kind: 'output'; name: string; type: string; value: Expr; decorators: Decorator[]; line: number }
  | { kind: 'other'; keyword: string; line: number };

const BINARY_PRECEDENCE: Record<string, number> = {
  '??': 1,
  '||': 2,
  '&&': 3,
  '==': 4,
  '!=': 4,
  '<': 5,
  '>': 5,
  '<=': 5,
  '>=': 5,
  '+': 6,
  '-': 6,
  '*': 7,
  '/': 7,
  '%': 7,
};

/** Operators that may start a continuation line (Bicep's multi-line ternaries and conditions). */
const CONTINUATION = new Set(['?', ':', '&&', '||', '??']);

class Parser {
  private pos = 0;

  constructor(private readonly tokens: Token[]) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'eof') this.pos++;
    return token;
  }

  private is(value: string, kind: TokenKind = 'punct'): boolean {
    const t = this.peek();
    return t.kind === kind && t.value === value;
  }

  private expect(value: string, kind: TokenKind = 'punct'): Token {
    const t = this.next();
    if (t.kind !== kind || t.value !== value) {
      throw new BicepSyntaxError(`expected '${value}', found '${t.value || t.kind}'`, t.line);
    }
    return t;
  }

  private skipNewlines(): void {
    while (this.peek().kind === 'newline') this.pos++;
  }

  /** Whether the next non-newline token is a continuation operator (and skip the newlines if so). */
  private continuesWith(ops: Set<string>): string | undefined {
    let k = 0;
    while (this.peek(k).kind === 'newline') k++;
    const t = this.peek(k);
    if (t.kind === 'punct' && ops.has(t.value)) {
      if (k > 0 && !CONTINUATION.has(t.value)) return undefined;
      this.pos += k;
      return t.value;
    }
    return undefined;
  }

  parseFile(): Declaration[] {
    const declarations: Declaration[] = [];
    for (;;) {
      this.skipNewlines();
      if (this.peek().kind === 'eof') return declarations;
      const decorators: Decorator[] = [];
      while (this.is('@')) {
        this.next();
        const call = this.parsePostfix();
        if (call.kind !== 'call' || call.callee.kind !== 'ident') {
          throw new BicepSyntaxError('a decorator must be a function call', this.peek().line);
        }
        decorators.push({ name: call.callee.name, args: call.args });
        this.skipNewlines();
      }
      declarations.push(this.parseDeclaration(decorators));
    }
  }

  private parseDeclaration(decorators: Decorator[]): Declaration {
    const keyword = this.next();
    const line = keyword.line;
    if (keyword.kind !== 'ident') throw new BicepSyntaxError(`unexpected '${keyword.value}'`, line);
    switch (keyword.value) {
      case 'targetScope': {
        this.expect('=');
        return { kind: 'targetScope', value: this.parseExpression(), line };
      }
      case 'param': {
        const name = this.identifier();
        const type = this.typeUntil(['=']);
        let defaultValue: Expr | undefined;
        if (this.is('=')) {
          this.next();
          defaultValue = this.parseExpression();
        }
        return defaultValue === undefined
          ? { kind: 'param', name, type, decorators, line }
          : { kind: 'param', name, type, defaultValue, decorators, line };
      }
      case 'var': {
        const name = this.identifier();
        this.expect('=');
        return { kind: 'var', name, value: this.parseExpression(), decorators, line };
      }
      case 'resource': {
        const name = this.identifier();
        const type = this.stringLiteral();
        let existing = false;
        if (this.is('existing', 'ident')) {
          this.next();
          existing = true;
        }
        this.expect('=');
        return { kind: 'resource', name, type, existing, value: this.parseBody(), decorators, line };
      }
      case 'module': {
        const name = this.identifier();
        const path = this.stringLiteral();
        this.expect('=');
        return { kind: 'module', name, path, value: this.parseBody(), decorators, line };
      }
      case 'output': {
        const name = this.identifier();
        const type = this.typeUntil(['=']);
        this.expect('=');
        return { kind: 'output', name, type, value: this.parseExpression(), decorators, line };
      }
      case 'import':
      case 'type':
      case 'func':
      case 'metadata':
      case 'using': {
        this.skipStatement();
        return { kind: 'other', keyword: keyword.value, line };
      }
      default:
        throw new BicepSyntaxError(`unknown declaration '${keyword.value}'`, line);
    }
  }

  /** Skips to the end of a statement, across balanced brackets. */
  private skipStatement(): void {
    let depth = 0;
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof') return;
      if (t.kind === 'newline' && depth === 0) return;
      if (t.kind === 'punct' && ['{', '[', '('].includes(t.value)) depth++;
      if (t.kind === 'punct' && ['}', ']', ')'].includes(t.value)) depth--;
      this.next();
    }
  }

  private identifier(): string {
    const t = this.next();
    if (t.kind !== 'ident') throw new BicepSyntaxError(`expected a name, found '${t.value}'`, t.line);
    return t.value;
  }

  private stringLiteral(): string {
    const t = this.next();
    if (t.kind !== 'string' || (t.pieces?.exprs.length ?? 0) > 0) {
      throw new BicepSyntaxError('expected a plain string', t.line);
    }
    return t.value;
  }

  /** A type annotation as text, up to one of `stops` or the end of the line. */
  private typeUntil(stops: string[]): string {
    const parts: string[] = [];
    let depth = 0;
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof' || (t.kind === 'newline' && depth === 0)) break;
      if (t.kind === 'punct' && depth === 0 && stops.includes(t.value)) break;
      if (t.kind === 'punct' && ['{', '[', '(', '<'].includes(t.value)) depth++;
      if (t.kind === 'punct' && ['}', ']', ')', '>'].includes(t.value)) depth--;
      parts.push(t.kind === 'string' ? `'${t.value}'` : t.value);
      this.next();
    }
    if (parts.length === 0) throw new BicepSyntaxError('expected a type', this.peek().line);
    return parts.join(' ').replace(/ ([?.<>,]) ?/g, '$1');
  }

  /** A resource or module body: an object, `if (cond) {...}`, or `[for ...: ...]`. */
  private parseBody(): Expr {
    if (this.is('if', 'ident')) return this.parseIf();
    return this.parseExpression();
  }

  private parseIf(): Expr {
    this.expect('if', 'ident');
    this.expect('(');
    this.skipNewlines();
    const test = this.parseExpression();
    this.skipNewlines();
    this.expect(')');
    return { kind: 'if', test, body: this.parseExpression() };
  }

  parseExpression(): Expr {
    const test = this.parseBinary(0);
    if (this.continuesWith(new Set(['?']))) {
      this.next();
      this.skipNewlines();
      const consequent = this.parseExpression();
      if (!this.continuesWith(new Set([':']))) throw new BicepSyntaxError("expected ':'", this.peek().line);
      this.next();
      this.skipNewlines();
      const alternate = this.parseExpression();
      return { kind: 'ternary', test, consequent, alternate };
    }
    return test;
  }

  private parseBinary(minPrecedence: number): Expr {
    let left = this.parseUnary();
    for (;;) {
      const ops = new Set(Object.keys(BINARY_PRECEDENCE).filter((op) => BINARY_PRECEDENCE[op]! > minPrecedence));
      const op = this.continuesWith(ops);
      if (!op) return left;
      this.next();
      this.skipNewlines();
      const right = this.parseBinary(BINARY_PRECEDENCE[op]!);
      left = { kind: 'binary', op, left, right };
    }
  }

  private parseUnary(): Expr {
    if (this.is('!') || this.is('-')) {
      const op = this.next().value;
      return { kind: 'unary', op, operand: this.parseUnary() };
    }
    return this.parsePostfix();
  }

  private parsePostfix(): Expr {
    let expr = this.parsePrimary();
    for (;;) {
      if (this.is('.') || this.is('.?')) {
        const safe = this.next().value === '.?';
        expr = { kind: 'member', object: expr, name: this.identifier(), safe };
      } else if (this.is('[')) {
        this.next();
        const safe = this.is('?') ? (this.next(), true) : false;
        const index = this.parseExpression();
        this.expect(']');
        expr = { kind: 'index', object: expr, index, safe };
      } else if (this.is('(')) {
        expr = { kind: 'call', callee: expr, args: this.parseArguments() };
      } else if (this.is('!') && this.peek(1).kind === 'punct' && ['.', '.?', '['].includes(this.peek(1).value)) {
        // Non-null assertion (`module!.outputs`): no effect on the value.
        this.next();
      } else {
        return expr;
      }
    }
  }

  private parseArguments(): Expr[] {
    this.expect('(');
    const args: Expr[] = [];
    this.skipNewlines();
    while (!this.is(')')) {
      args.push(this.parseExpression());
      this.skipNewlines();
      if (this.is(',')) {
        this.next();
        this.skipNewlines();
      } else if (!this.is(')')) {
        throw new BicepSyntaxError(`expected ',' or ')', found '${this.peek().value}'`, this.peek().line);
      }
    }
    this.expect(')');
    return args;
  }

  private parsePrimary(): Expr {
    const t = this.peek();
    if (t.kind === 'string') {
      this.next();
      const pieces = t.pieces!;
      return {
        kind: 'string',
        text: pieces.text,
        exprs: pieces.exprs.map((e) => {
          const sub = new Parser(tokenize(e.source, e.line).tokens);
          const expr = sub.parseExpression();
          sub.skipNewlines();
          if (sub.peek().kind !== 'eof') throw new BicepSyntaxError('unexpected text in an interpolation', e.line);
          return expr;
        }),
      };
    }
    if (t.kind === 'multiline') {
      this.next();
      return { kind: 'string', text: [t.value], exprs: [] };
    }
    if (t.kind === 'number') {
      this.next();
      return { kind: 'number', value: Number(t.value) };
    }
    if (t.kind === 'ident') {
      // Lambda: `x => ...`
      if (this.peek(1).kind === 'punct' && this.peek(1).value === '=>') {
        this.next();
        this.next();
        return { kind: 'lambda', params: [t.value], body: this.parseExpression() };
      }
      this.next();
      if (t.value === 'true' || t.value === 'false') return { kind: 'bool', value: t.value === 'true' };
      if (t.value === 'null') return { kind: 'null' };
      return { kind: 'ident', name: t.value };
    }
    if (this.is('(')) {
      this.next();
      this.skipNewlines();
      const expr = this.parseExpression();
      this.skipNewlines();
      this.expect(')');
      return expr;
    }
    if (this.is('{')) return this.parseObject();
    if (this.is('[')) return this.parseArrayOrFor();
    throw new BicepSyntaxError(`unexpected '${t.value || t.kind}'`, t.line);
  }

  private parseObject(): Expr {
    this.expect('{');
    const properties: { key: string; value: Expr; line: number }[] = [];
    for (;;) {
      this.skipNewlines();
      if (this.is(',')) {
        this.next();
        continue;
      }
      if (this.is('}')) {
        this.next();
        return { kind: 'object', properties };
      }
      const keyToken = this.next();
      let key: string;
      if (keyToken.kind === 'ident') key = keyToken.value;
      else if (keyToken.kind === 'string' && (keyToken.pieces?.exprs.length ?? 0) === 0) key = keyToken.value;
      else throw new BicepSyntaxError(`expected a property name, found '${keyToken.value}'`, keyToken.line);
      if (properties.some((p) => p.key === key))
        throw new BicepSyntaxError(`duplicate property '${key}'`, keyToken.line);
      this.expect(':');
      this.skipNewlines();
      properties.push({ key, value: this.parseExpression(), line: keyToken.line });
      const after = this.peek();
      if (!(after.kind === 'newline' || this.is(',') || this.is('}'))) {
        throw new BicepSyntaxError(`expected a new line after property '${key}'`, after.line);
      }
    }
  }

  private parseArrayOrFor(): Expr {
    this.expect('[');
    this.skipNewlines();
    if (this.is('for', 'ident')) {
      this.next();
      let item: string;
      let index: string | undefined;
      if (this.is('(')) {
        this.next();
        item = this.identifier();
        this.expect(',');
        index = this.identifier();
        this.expect(')');
      } else {
        item = this.identifier();
      }
      this.expect('in', 'ident');
      const iterable = this.parseExpression();
      this.expect(':');
      this.skipNewlines();
      const body = this.is('if', 'ident') ? this.parseIf() : this.parseExpression();
      this.skipNewlines();
      this.expect(']');
      return index === undefined ? { kind: 'for', item, iterable, body } : { kind: 'for', item, index, iterable, body };
    }
    const items: Expr[] = [];
    for (;;) {
      this.skipNewlines();
      if (this.is(',')) {
        this.next();
        continue;
      }
      if (this.is(']')) {
        this.next();
        return { kind: 'array', items };
      }
      items.push(this.parseExpression());
      const after = this.peek();
      if (!(after.kind === 'newline' || this.is(',') || this.is(']'))) {
        throw new BicepSyntaxError('expected a new line after an array item', after.line);
      }
    }
  }
}

/** A parsed Bicep file. */
export class BicepFile {
  readonly declarations: Declaration[];
  readonly comments: LineComment[];

  constructor(
    readonly source: string,
    readonly path = '<inline>',
  ) {
    const { tokens, comments } = tokenize(source);
    this.comments = comments;
    this.declarations = new Parser(tokens).parseFile();
  }

  static read(path: string): BicepFile {
    return new BicepFile(readFileSync(path, 'utf8'), path);
  }

  get targetScope(): string | undefined {
    const d = this.declarations.find((x) => x.kind === 'targetScope');
    return d ? asString(evaluate(d.value, {})) : undefined;
  }

  params(): Extract<Declaration, { kind: 'param' }>[] {
    return this.declarations.filter((d) => d.kind === 'param');
  }

  param(name: string): Extract<Declaration, { kind: 'param' }> {
    const p = this.params().find((d) => d.name === name);
    if (!p) throw new Error(`${this.path}: no param '${name}'`);
    return p;
  }

  vars(): Extract<Declaration, { kind: 'var' }>[] {
    return this.declarations.filter((d) => d.kind === 'var');
  }

  variable(name: string): Extract<Declaration, { kind: 'var' }> {
    const v = this.vars().find((d) => d.name === name);
    if (!v) throw new Error(`${this.path}: no var '${name}'`);
    return v;
  }

  resources(): Extract<Declaration, { kind: 'resource' }>[] {
    return this.declarations.filter((d) => d.kind === 'resource');
  }

  modules(): Extract<Declaration, { kind: 'module' }>[] {
    return this.declarations.filter((d) => d.kind === 'module');
  }

  module(name: string): Extract<Declaration, { kind: 'module' }> {
    const m = this.modules().find((d) => d.name === name);
    if (!m) throw new Error(`${this.path}: no module '${name}'`);
    return m;
  }

  outputs(): Extract<Declaration, { kind: 'output' }>[] {
    return this.declarations.filter((d) => d.kind === 'output');
  }

  /** The comment on the same line as a declaration's end (e.g. a role name after a role GUID). */
  trailingComment(declaration: { line: number }): string | undefined {
    return this.comments.find((c) => c.line === declaration.line)?.text;
  }

  /**
   * The evaluation scope: each param's value (from `overrides`, else its default, else a `Ref`), then each var
   * in order. Vars that cannot be evaluated are `Unknown`.
   */
  scope(overrides: Record<string, Value> = {}): Scope {
    const scope: Scope = {};
    if (this.path !== '<inline>') scopeDirs.set(scope, dirname(this.path));
    for (const p of this.params()) {
      if (p.name in overrides) scope[p.name] = overrides[p.name]!;
      else if (p.defaultValue) scope[p.name] = evaluate(p.defaultValue, scope);
      else scope[p.name] = new Ref(p.name);
    }
    for (const v of this.vars()) scope[v.name] = evaluate(v.value, scope);
    for (const name of Object.keys(overrides)) if (!(name in scope)) scope[name] = overrides[name]!;
    return scope;
  }
}

/** A value known only at deployment. */
export class Unknown {
  constructor(readonly why: string) {}
}

/** A symbolic parameter value (a param without default, or one a test names). */
export class Ref {
  constructor(readonly name: string) {}
}

export type Value = string | number | boolean | null | Value[] | { [key: string]: Value } | Unknown | Ref;
export type Scope = Record<string, Value>;

/** The folder of the file a scope belongs to, for `loadTextContent` and `loadJsonContent`. */
const scopeDirs = new WeakMap<Scope, string>();

/** A scope with more names, still reading files relative to the same folder. */
export function extendScope(scope: Scope, names: Scope): Scope {
  const inner: Scope = { ...scope, ...names };
  const dir = scopeDirs.get(scope);
  if (dir !== undefined) scopeDirs.set(inner, dir);
  return inner;
}

function loadFile(scope: Scope, args: Value[]): string | Unknown {
  const dir = scopeDirs.get(scope);
  const [path] = args;
  if (dir === undefined || typeof path !== 'string') return new Unknown('loadTextContent()');
  return readFileSync(join(dir, path), 'utf8');
}

export function isPlainObject(v: Value): v is { [key: string]: Value } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Unknown) && !(v instanceof Ref);
}

/** A scalar value as text; anything else is a test failure. */
export function text(v: unknown): string {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new Error(`expected a scalar, got ${JSON.stringify(v)}`);
}

export function asString(v: Value | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function isKnown(v: Value): boolean {
  return !(v instanceof Unknown) && !(v instanceof Ref);
}

function stringify(v: Value): string | Unknown {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof Ref) return `\${${v.name}}`;
  return new Unknown('not a string');
}

const FUNCTIONS: Record<string, (args: Value[]) => Value> = {
  string: ([v]) => (v === undefined ? new Unknown('string()') : stringify(v)),
  int: ([v]) => (typeof v === 'string' || typeof v === 'number' ? Math.trunc(Number(v)) : new Unknown('int()')),
  toLower: ([v]) => (typeof v === 'string' ? v.toLowerCase() : new Unknown('toLower()')),
  toUpper: ([v]) => (typeof v === 'string' ? v.toUpperCase() : new Unknown('toUpper()')),
  take: ([v, n]) =>
    (typeof v === 'string' || Array.isArray(v)) && typeof n === 'number' ? v.slice(0, n) : new Unknown('take()'),
  empty: ([v]) => {
    if (v === undefined || !isKnown(v)) return new Unknown('empty()');
    if (v === null || v === '') return true;
    if (Array.isArray(v)) return v.length === 0;
    if (isPlainObject(v)) return Object.keys(v).length === 0;
    return false;
  },
  concat: (args) => {
    if (args.every(Array.isArray)) return args.flat() as Value[];
    const parts = args.map(stringify);
    return parts.every((p): p is string => typeof p === 'string') ? parts.join('') : new Unknown('concat()');
  },
  union: (args) => {
    if (!args.every(isPlainObject)) return new Unknown('union() of non-objects');
    return Object.assign({}, ...args) as Value;
  },
  replace: ([v, from, to]) =>
    typeof v === 'string' && typeof from === 'string' && typeof to === 'string'
      ? v.split(from).join(to)
      : new Unknown('replace()'),
  subscriptionResourceId: (args) => {
    const parts = args.map(stringify);
    if (parts.some((p) => p instanceof Unknown)) return new Unknown('subscriptionResourceId()');
    const [type, ...names] = parts as string[];
    return `/providers/${type}/${names.join('/')}`;
  },
};

/** Evaluates what is known before deployment; the rest is `Unknown`. */
export function evaluate(expr: Expr, scope: Scope): Value {
  switch (expr.kind) {
    case 'string': {
      let out = expr.text[0] ?? '';
      for (let k = 0; k < expr.exprs.length; k++) {
        const part = stringify(evaluate(expr.exprs[k]!, scope));
        if (part instanceof Unknown) return new Unknown('interpolation');
        out += part + (expr.text[k + 1] ?? '');
      }
      return out;
    }
    case 'number':
    case 'bool':
      return expr.value;
    case 'null':
      return null;
    case 'ident':
      return expr.name in scope ? scope[expr.name]! : new Unknown(`symbol ${expr.name}`);
    case 'object': {
      const out: { [key: string]: Value } = {};
      for (const p of expr.properties) out[p.key] = evaluate(p.value, scope);
      return out;
    }
    case 'array':
      return expr.items.map((item) => evaluate(item, scope));
    case 'member': {
      const object = evaluate(expr.object, scope);
      if (isPlainObject(object)) {
        return expr.name in object ? object[expr.name]! : expr.safe ? null : new Unknown(`no ${expr.name}`);
      }
      return new Unknown(`member ${expr.name}`);
    }
    case 'index': {
      const object = evaluate(expr.object, scope);
      const index = evaluate(expr.index, scope);
      if (Array.isArray(object) && typeof index === 'number') return object[index] ?? new Unknown('index');
      if (isPlainObject(object) && typeof index === 'string') return object[index] ?? new Unknown('index');
      return new Unknown('index');
    }
    case 'call': {
      const name = expr.callee.kind === 'ident' ? expr.callee.name : undefined;
      const args = expr.args.map((a) => evaluate(a, scope));
      if (name === 'loadTextContent') return loadFile(scope, args);
      if (name === 'loadJsonContent') {
        const text = loadFile(scope, args);
        return typeof text === 'string' ? (JSON.parse(text) as Value) : text;
      }
      const fn = name ? FUNCTIONS[name] : undefined;
      if (!fn) return new Unknown(`call ${name ?? '?'}`);
      return fn(args);
    }
    case 'unary': {
      const v = evaluate(expr.operand, scope);
      if (expr.op === '!' && typeof v === 'boolean') return !v;
      if (expr.op === '-' && typeof v === 'number') return -v;
      return new Unknown(`unary ${expr.op}`);
    }
    case 'binary': {
      const l = evaluate(expr.left, scope);
      if (expr.op === '&&' && l === false) return false;
      if (expr.op === '||' && l === true) return true;
      if (expr.op === '??') return l === null ? evaluate(expr.right, scope) : l;
      const r = evaluate(expr.right, scope);
      if (!isKnown(l) || !isKnown(r)) return new Unknown(`binary ${expr.op}`);
      switch (expr.op) {
        case '==':
          return JSON.stringify(l) === JSON.stringify(r);
        case '!=':
          return JSON.stringify(l) !== JSON.stringify(r);
        case '&&':
        case '||':
          return typeof r === 'boolean' ? r : new Unknown(expr.op);
        case '+':
        case '-':
        case '*':
        case '/':
        case '%':
        case '<':
        case '>':
        case '<=':
        case '>=': {
          if (typeof l !== 'number' || typeof r !== 'number') return new Unknown(expr.op);
          const ops: Record<string, (a: number, b: number) => Value> = {
            '+': (a, b) => a + b,
            '-': (a, b) => a - b,
            '*': (a, b) => a * b,
            '/': (a, b) => Math.trunc(a / b),
            '%': (a, b) => a % b,
            '<': (a, b) => a < b,
            '>': (a, b) => a > b,
            '<=': (a, b) => a <= b,
            '>=': (a, b) => a >= b,
          };
          return ops[expr.op]!(l, r);
        }
        default:
          return new Unknown(expr.op);
      }
    }
    case 'ternary': {
      const test = evaluate(expr.test, scope);
      if (typeof test !== 'boolean') return new Unknown('ternary');
      return evaluate(test ? expr.consequent : expr.alternate, scope);
    }
    case 'for': {
      const iterable = evaluate(expr.iterable, scope);
      if (!Array.isArray(iterable)) return new Unknown('for over unknown');
      const out: Value[] = [];
      iterable.forEach((item, k) => {
        const inner = extendScope(scope, expr.index ? { [expr.item]: item, [expr.index]: k } : { [expr.item]: item });
        if (expr.body.kind === 'if') {
          const test = evaluate(expr.body.test, inner);
          if (test === true) out.push(evaluate(expr.body.body, inner));
          else if (test !== false) out.push(new Unknown('for-if'));
        } else {
          out.push(evaluate(expr.body, inner));
        }
      });
      return out;
    }
    case 'if':
      return new Unknown('if');
    case 'lambda':
      return new Unknown('lambda');
  }
}

/** The object literal at `path` (property names) inside an expression, following a top-level `if`. */
export function objectAt(expr: Expr, ...path: string[]): Extract<Expr, { kind: 'object' }> | undefined {
  let current: Expr | undefined = expr.kind === 'if' ? expr.body : expr;
  for (const key of path) {
    if (current?.kind !== 'object') return undefined;
    current = current.properties.find((p) => p.key === key)?.value;
  }
  return current?.kind === 'object' ? current : undefined;
}

/** The expression of property `key` of an object expression (following a top-level `if` or `for`). */
export function property(expr: Expr, key: string): Expr | undefined {
  let body = expr;
  if (body.kind === 'for') body = body.body;
  if (body.kind === 'if') body = body.body;
  return body.kind === 'object' ? body.properties.find((p) => p.key === key)?.value : undefined;
}

/** Identifiers an expression refers to (not inside nested lambdas' parameters). */
export function references(expr: Expr, into = new Set<string>()): Set<string> {
  const walk = (e: Expr): void => {
    switch (e.kind) {
      case 'ident':
        into.add(e.name);
        return;
      case 'string':
        e.exprs.forEach(walk);
        return;
      case 'object':
        e.properties.forEach((p) => walk(p.value));
        return;
      case 'array':
        e.items.forEach(walk);
        return;
      case 'member':
        walk(e.object);
        return;
      case 'index':
        walk(e.object);
        walk(e.index);
        return;
      case 'call':
        walk(e.callee);
        e.args.forEach(walk);
        return;
      case 'unary':
        walk(e.operand);
        return;
      case 'binary':
        walk(e.left);
        walk(e.right);
        return;
      case 'ternary':
        walk(e.test);
        walk(e.consequent);
        walk(e.alternate);
        return;
      case 'for':
        walk(e.iterable);
        walk(e.body);
        return;
      case 'if':
        walk(e.test);
        walk(e.body);
        return;
      case 'lambda':
        walk(e.body);
        return;
      default:
        return;
    }
  };
  walk(expr);
  return into;
}

/** Decorator argument of `@name(...)`, if present. */
export function decorator(d: { decorators: Decorator[] }, name: string): Expr[] | undefined {
  return d.decorators.find((x) => x.name === name)?.args;
}

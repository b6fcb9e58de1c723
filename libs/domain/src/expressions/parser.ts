import type { BinaryOperator, Link, Node } from './ast.js';
import { ExprError } from './errors.js';
import { FUNCTIONS } from './functions.js';
import { tokenize, type Token } from './lexer.js';
import { MAX_AST_DEPTH, MAX_SOURCE_LENGTH } from './limits.js';

interface Operator {
  readonly precedence: number;
  readonly operator: BinaryOperator;
  readonly rightAssociative?: boolean;
}

// expr-lang's precedences, so that expressions written for Tork group the same way.
const BINARY: ReadonlyMap<string, Operator> = new Map<string, Operator>([
  ['or', { precedence: 10, operator: '||' }],
  ['||', { precedence: 10, operator: '||' }],
  ['and', { precedence: 15, operator: '&&' }],
  ['&&', { precedence: 15, operator: '&&' }],
  ['==', { precedence: 20, operator: '==' }],
  ['!=', { precedence: 20, operator: '!=' }],
  ['<', { precedence: 20, operator: '<' }],
  ['>', { precedence: 20, operator: '>' }],
  ['<=', { precedence: 20, operator: '<=' }],
  ['>=', { precedence: 20, operator: '>=' }],
  ['in', { precedence: 20, operator: 'in' }],
  ['+', { precedence: 30, operator: '+' }],
  ['-', { precedence: 30, operator: '-' }],
  ['*', { precedence: 60, operator: '*' }],
  ['/', { precedence: 60, operator: '/' }],
  ['%', { precedence: 60, operator: '%' }],
  ['**', { precedence: 100, operator: '**', rightAssociative: true }],
  ['^', { precedence: 100, operator: '**', rightAssociative: true }],
  ['??', { precedence: 500, operator: '??' }],
]);
const NOT_IN: Operator = { precedence: 20, operator: 'not in' };

const UNARY: ReadonlyMap<string, { precedence: number; operator: '!' | '-' | '+' }> = new Map([
  ['not', { precedence: 50, operator: '!' as const }],
  ['!', { precedence: 50, operator: '!' as const }],
  ['-', { precedence: 90, operator: '-' as const }],
  ['+', { precedence: 90, operator: '+' as const }],
]);

const LITERAL_NAMES: ReadonlyMap<string, null | boolean> = new Map([
  ['true', true],
  ['false', false],
  ['nil', null],
]);
const RESERVED = new Set(['not', 'in', 'and', 'or']);

type WithoutDepth<T> = T extends unknown ? Omit<T, 'depth'> : never;
type NodeInput = WithoutDepth<Node>;

/** Parses one expression (the text between `{{` and `}}`) into a tree. Throws ExprError with a column. */
export function parseExpression(source: string): Node {
  if (source.length > MAX_SOURCE_LENGTH) {
    throw new ExprError(`expression longer than ${MAX_SOURCE_LENGTH} characters`);
  }
  if (source.trim() === '') throw new ExprError('empty expression', 1);
  return new Parser(tokenize(source)).parse();
}

class Parser {
  private pos = 0;
  private nesting = 0;
  private readonly end: Token;

  constructor(private readonly tokens: readonly Token[]) {
    this.end = tokens.at(-1) ?? { kind: 'end', value: '', column: 1 };
  }

  parse(): Node {
    const node = this.expression(0);
    const rest = this.peek();
    if (rest.kind !== 'end') throw unexpected(rest);
    return node;
  }

  private expression(minPrecedence: number): Node {
    this.enter();
    let left = this.primary();
    for (;;) {
      const token = this.peek();
      let operator = binaryOperator(token);
      let length = 1;
      if (token.kind === 'name' && token.value === 'not') {
        const next = this.tokens[this.pos + 1];
        if (next?.kind !== 'name' || next.value !== 'in') break;
        operator = NOT_IN;
        length = 2;
      }
      if (operator === undefined || operator.precedence < minPrecedence) break;
      this.pos += length;
      const right = this.expression(
        operator.rightAssociative === true ? operator.precedence : operator.precedence + 1,
      );
      left = this.node({ type: 'binary', operator: operator.operator, left, right, column: token.column });
    }
    if (minPrecedence === 0) left = this.conditional(left);
    this.nesting--;
    return left;
  }

  private conditional(test: Node): Node {
    let node = test;
    while (this.isPunct('?')) {
      const column = this.next().column;
      const then = this.expression(0);
      this.expect(':');
      const otherwise = this.expression(0);
      node = this.node({ type: 'conditional', test: node, then, otherwise, column });
    }
    return node;
  }

  private primary(): Node {
    const token = this.peek();
    const unary = token.kind === 'punct' || token.kind === 'name' ? UNARY.get(token.value) : undefined;
    if (unary !== undefined) {
      this.next();
      const operand = this.expression(unary.precedence);
      return this.node({ type: 'unary', operator: unary.operator, operand, column: token.column });
    }
    if (this.isPunct('(')) {
      this.next();
      const inner = this.expression(0);
      this.expect(')');
      return this.postfix(inner);
    }
    return this.postfix(this.operand());
  }

  private operand(): Node {
    const token = this.next();
    const { column } = token;
    switch (token.kind) {
      case 'int':
      case 'float':
      case 'string':
        return this.node({ type: 'literal', value: token.value, column });
      case 'name': {
        const literal = LITERAL_NAMES.get(token.value);
        if (literal !== undefined) return this.node({ type: 'literal', value: literal, column });
        if (RESERVED.has(token.value)) throw unexpected(token);
        if (this.isPunct('(')) return this.call(token.value, column);
        return this.node({ type: 'name', name: token.value, column });
      }
      case 'punct':
        if (token.value === '[') {
          const items = this.list(']', () => this.expression(0));
          return this.node({ type: 'array', items, column });
        }
        if (token.value === '{') {
          const entries = this.list('}', () => this.entry());
          return this.node({ type: 'map', entries, column });
        }
        throw unexpected(token);
      case 'end':
        throw unexpected(token);
    }
  }

  private entry(): { key: string; value: Node } {
    const token = this.next();
    if (token.kind !== 'name' && token.kind !== 'string') {
      throw unexpected(token, 'a map key is a name or a string');
    }
    this.expect(':');
    return { key: token.value, value: this.expression(0) };
  }

  private call(name: string, column: number): Node {
    const fn = FUNCTIONS.get(name);
    if (fn === undefined) throw new ExprError(`unknown function ${name}`, column);
    this.next(); // (
    const args = this.list(')', () => this.expression(0));
    if (args.length < fn.minArgs || args.length > fn.maxArgs) {
      const expected = fn.minArgs === fn.maxArgs ? `${fn.minArgs}` : `${fn.minArgs} to ${fn.maxArgs}`;
      throw new ExprError(`${name} takes ${expected} arguments, got ${args.length}`, column);
    }
    return this.node({ type: 'call', name, args, column });
  }

  /** Comma-separated items up to `close`; a trailing comma is allowed. */
  private list<T>(close: string, item: () => T): T[] {
    const items: T[] = [];
    while (!this.isPunct(close)) {
      items.push(item());
      if (this.isPunct(',')) this.next();
      else if (!this.isPunct(close)) throw unexpected(this.peek(), `expected "," or "${close}"`);
    }
    this.next();
    return items;
  }

  private postfix(start: Node): Node {
    let node = start;
    let optional = false;
    for (;;) {
      const token = this.peek();
      let link: Link;
      if (this.isPunct('.') || this.isPunct('?.')) {
        this.next();
        const isOptional = token.value === '?.';
        if (isOptional && this.isPunct('[')) {
          link = this.index(node, true);
        } else {
          const key = this.next();
          if (key.kind !== 'name') throw unexpected(key, `expected a name after "${token.value}"`);
          if (this.isPunct('(')) throw new ExprError('only the built-in functions can be called', key.column);
          link = this.node({
            type: 'member',
            object: node,
            key: key.value,
            optional: isOptional,
            column: key.column,
          });
        }
        optional ||= isOptional;
      } else if (this.isPunct('[')) {
        link = this.index(node, false);
      } else {
        break;
      }
      node = link;
    }
    if (!optional || node.type === 'chain') return node;
    return this.node({ type: 'chain', link: node as Link, column: start.column });
  }

  private index(object: Node, optional: boolean): Link {
    const column = this.next().column; // [
    let from: Node | undefined;
    if (!this.isPunct(':')) {
      from = this.expression(0);
      if (this.isPunct(']')) {
        this.next();
        return this.node({ type: 'index', object, index: from, optional, column });
      }
      if (!this.isPunct(':')) throw unexpected(this.peek(), 'expected "]" or ":"');
    }
    this.next(); // :
    const to = this.isPunct(']') ? undefined : this.expression(0);
    this.expect(']');
    return this.node({ type: 'slice', object, from, to, optional, column });
  }

  private node<T extends NodeInput>(input: T): T & { depth: number } {
    const depth = 1 + Math.max(0, ...children(input as Node).map((child) => child.depth));
    if (depth > MAX_AST_DEPTH) {
      throw new ExprError(`expression nested too deeply (more than ${MAX_AST_DEPTH} levels)`, input.column);
    }
    return { ...input, depth };
  }

  private enter(): void {
    this.nesting++;
    if (this.nesting > MAX_AST_DEPTH) {
      throw new ExprError(
        `expression nested too deeply (more than ${MAX_AST_DEPTH} levels)`,
        this.peek().column,
      );
    }
  }

  private peek(): Token {
    return this.tokens[this.pos] ?? this.end;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.pos++;
    return token;
  }

  private isPunct(value: string): boolean {
    const token = this.peek();
    return token.kind === 'punct' && token.value === value;
  }

  private expect(value: string): void {
    if (!this.isPunct(value)) throw unexpected(this.peek(), `expected "${value}"`);
    this.next();
  }
}

function binaryOperator(token: Token): Operator | undefined {
  if (token.kind !== 'punct' && token.kind !== 'name') return undefined;
  return BINARY.get(token.value);
}

function unexpected(token: Token, hint?: string): ExprError {
  const what = token.kind === 'end' ? 'unexpected end of expression' : `unexpected ${describe(token)}`;
  return new ExprError(hint === undefined ? what : `${what}, ${hint}`, token.column);
}

function describe(token: Token): string {
  switch (token.kind) {
    case 'string':
      return 'string';
    case 'int':
    case 'float':
      return `number ${token.value}`;
    default:
      return `"${token.value}"`;
  }
}

function children(node: Node): readonly Node[] {
  switch (node.type) {
    case 'literal':
    case 'name':
      return [];
    case 'array':
      return node.items;
    case 'map':
      return node.entries.map((entry) => entry.value);
    case 'unary':
      return [node.operand];
    case 'binary':
      return [node.left, node.right];
    case 'conditional':
      return [node.test, node.then, node.otherwise];
    case 'call':
      return node.args;
    case 'member':
      return [node.object];
    case 'index':
      return [node.object, node.index];
    case 'slice':
      return [
        node.object,
        ...(node.from === undefined ? [] : [node.from]),
        ...(node.to === undefined ? [] : [node.to]),
      ];
    case 'chain':
      return [node.link];
  }
}

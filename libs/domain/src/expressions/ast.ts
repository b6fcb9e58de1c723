import type { ArithmeticOperator, ComparisonOperator } from './operations.js';

export type BinaryOperator = ArithmeticOperator | ComparisonOperator | 'in' | 'not in' | '&&' | '||' | '??';

interface At {
  /** 1-based column of the node in the expression source. */
  readonly column: number;
  /** Height of the tree under this node, bounded by MAX_AST_DEPTH. */
  readonly depth: number;
}

export type Node =
  | (At & { readonly type: 'literal'; readonly value: null | boolean | bigint | number | string })
  | (At & { readonly type: 'array'; readonly items: readonly Node[] })
  | (At & { readonly type: 'map'; readonly entries: readonly { key: string; value: Node }[] })
  | (At & { readonly type: 'name'; readonly name: string })
  | (At & { readonly type: 'unary'; readonly operator: '!' | '-' | '+'; readonly operand: Node })
  | (At & {
      readonly type: 'binary';
      readonly operator: BinaryOperator;
      readonly left: Node;
      readonly right: Node;
    })
  | (At & {
      readonly type: 'conditional';
      readonly test: Node;
      readonly then: Node;
      readonly otherwise: Node;
    })
  | (At & { readonly type: 'call'; readonly name: string; readonly args: readonly Node[] })
  | Link
  /** A postfix chain with `?.`: a nil before `?.` makes the whole chain nil. */
  | (At & { readonly type: 'chain'; readonly link: Link });

/** One step of a postfix chain: `a.b`, `a?.b`, `a[i]`, `a[i:j]`. */
export type Link =
  | (At & {
      readonly type: 'member';
      readonly object: Node;
      readonly key: string;
      readonly optional: boolean;
    })
  | (At & { readonly type: 'index'; readonly object: Node; readonly index: Node; readonly optional: boolean })
  | (At & {
      readonly type: 'slice';
      readonly object: Node;
      readonly from: Node | undefined;
      readonly to: Node | undefined;
      readonly optional: boolean;
    });

export function isLink(node: Node): node is Link {
  return node.type === 'member' || node.type === 'index' || node.type === 'slice';
}

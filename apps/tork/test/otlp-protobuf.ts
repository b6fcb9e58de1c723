/*
 * Test support: the few fields of an OTLP ExportTraceServiceRequest in protobuf (opentelemetry-proto,
 * trace/v1 and common/v1) that the tracing tests read, decoded into the shape of its JSON encoding,
 * so that one receiver checks spans sent either way.
 */

/** What the tests read of an export, as OTLP/HTTP JSON spells it (ids in hex, int values as strings). */
export interface OtlpValue {
  readonly stringValue?: string;
  readonly intValue?: string | number;
  readonly doubleValue?: number;
  readonly boolValue?: boolean;
}
export interface OtlpAttribute {
  readonly key: string;
  readonly value: OtlpValue;
}
export interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: number;
  readonly attributes?: readonly OtlpAttribute[];
}
export interface OtlpExport {
  readonly resourceSpans?: readonly {
    readonly resource?: { readonly attributes?: readonly OtlpAttribute[] };
    readonly scopeSpans?: readonly { readonly spans?: readonly OtlpSpan[] }[];
  }[];
}

const VARINT = 0;
const FIXED64 = 1;
const BYTES = 2;
const FIXED32 = 5;

interface Field {
  readonly number: number;
  /** A varint's value, or a fixed64's bits. */
  readonly int?: bigint;
  readonly bytes?: Buffer;
}

/** The fields of one message, in order; unknown wire types end the test with an error. */
function fieldsOf(buffer: Buffer): Field[] {
  const fields: Field[] = [];
  let at = 0;
  const varint = (): bigint => {
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = buffer[at++];
      if (byte === undefined) throw new Error('truncated varint');
      value |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value;
    }
  };
  while (at < buffer.length) {
    const key = Number(varint());
    const number = key >>> 3;
    switch (key & 7) {
      case VARINT:
        fields.push({ number, int: varint() });
        break;
      case FIXED64:
        fields.push({ number, int: buffer.readBigUInt64LE(at), bytes: buffer.subarray(at, at + 8) });
        at += 8;
        break;
      case BYTES: {
        const length = Number(varint());
        fields.push({ number, bytes: buffer.subarray(at, at + length) });
        at += length;
        break;
      }
      case FIXED32:
        at += 4;
        break;
      default:
        throw new Error(`unexpected wire type ${key & 7} of field ${number}`);
    }
  }
  return fields;
}

const messages = (fields: readonly Field[], number: number): Buffer[] =>
  fields.flatMap((field) => (field.number === number && field.bytes !== undefined ? [field.bytes] : []));
const message = (fields: readonly Field[], number: number): Buffer | undefined => messages(fields, number)[0];
const text = (fields: readonly Field[], number: number): string =>
  message(fields, number)?.toString('utf8') ?? '';

function anyValue(buffer: Buffer): OtlpValue {
  const fields = fieldsOf(buffer);
  const [field] = fields;
  switch (field?.number) {
    case 1:
      return { stringValue: field.bytes?.toString('utf8') ?? '' };
    case 2:
      return { boolValue: field.int === 1n };
    case 3:
      return { intValue: BigInt.asIntN(64, field.int ?? 0n).toString() };
    case 4:
      return { doubleValue: field.bytes?.readDoubleLE(0) ?? 0 };
    default:
      return {};
  }
}

function attributes(fields: readonly Field[], number: number): OtlpAttribute[] {
  return messages(fields, number).map((buffer) => {
    const keyValue = fieldsOf(buffer);
    const value = message(keyValue, 2);
    return { key: text(keyValue, 1), value: value === undefined ? {} : anyValue(value) };
  });
}

function span(buffer: Buffer): OtlpSpan {
  const fields = fieldsOf(buffer);
  const hex = (number: number): string => message(fields, number)?.toString('hex') ?? '';
  return {
    traceId: hex(1),
    spanId: hex(2),
    parentSpanId: hex(4),
    name: text(fields, 5),
    kind: Number(fields.find((field) => field.number === 6)?.int ?? 0n),
    attributes: attributes(fields, 9),
  };
}

/** An ExportTraceServiceRequest's resource spans, their resource attributes and spans. */
export function decodeTraceExport(buffer: Buffer): OtlpExport {
  return {
    resourceSpans: messages(fieldsOf(buffer), 1).map((resourceSpans) => {
      const fields = fieldsOf(resourceSpans);
      const resource = message(fields, 1);
      return {
        resource: { attributes: resource === undefined ? [] : attributes(fieldsOf(resource), 1) },
        scopeSpans: messages(fields, 2).map((scopeSpans) => ({
          spans: messages(fieldsOf(scopeSpans), 2).map(span),
        })),
      };
    }),
  };
}

import { create, fromBinary, fromJson, toBinary, type DescMessage, type JsonValue, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { encodeInit as compiledEncodeInit, encodeListItems as compiledListItems, messageEncoder as compiledEncoder, preEncoded, varintSize } from "./compiled-encoder.js";
import { readJson as compiledReadJson } from "./compiled-json-reader.js";
import { messageMaker as compiledMaker, type MessageFields } from "./compiled-maker.js";
import { useBufferTextEncoding } from "./text-encoding.js";

// This folder is the connector's one codec boundary. Every function here promises exactly what a
// protobuf-es function does (named in its comment); the compiled codecs behind them are a fast
// path for what a sync does in bulk, and "library" mode routes every call to protobuf-es itself.
// Nothing outside src/codec knows which mode is on, and resource code never calls into here
// directly: it makes messages through src/connector (ids.ts, annotations.ts).

export type { MessageFields } from "./compiled-maker.js";

/** CodecMode selects the compiled codecs (the default) or protobuf-es's own ("library"). */
export type CodecMode = "compiled" | "library";

let compiled = false;

/**
 * useCodecs selects the codecs of the whole process. It is called once at startup, before
 * anything is encoded (src/codec/fast-paths.ts); until then protobuf-es's own codecs serve (library mode).
 */
export function useCodecs(mode: CodecMode): void {
  compiled = mode === "compiled";
  useBufferTextEncoding(compiled);
}

/** codecMode is the mode useCodecs selected. */
export function codecMode(): CodecMode {
  return compiled ? "compiled" : "library";
}

/** encoder returns a function writing exactly the bytes toBinary(desc, message) writes. */
export function encoder<Desc extends DescMessage>(desc: Desc): (message: MessageShape<Desc>) => Uint8Array {
  let fast: ((message: MessageShape<Desc>) => Uint8Array) | undefined;
  return (message) => (compiled ? (fast ??= compiledEncoder(desc))(message) : toBinary(desc, message));
}

/** encodeInit writes exactly the bytes toBinary(desc, create(desc, init)) writes, without creating the message. */
export function encodeInit<Desc extends DescMessage>(desc: Desc, init: MessageInitShape<Desc>): Uint8Array {
  return compiled ? compiledEncodeInit(desc, init) : toBinary(desc, create(desc, init));
}

/** readJson makes exactly the message fromJson(desc, json, { ignoreUnknownFields: true }) makes (or throws its error). */
export function readJson<Desc extends DescMessage>(desc: Desc, json: JsonValue): MessageShape<Desc> {
  return compiled ? compiledReadJson(desc, json) : fromJson(desc, json, { ignoreUnknownFields: true });
}

/**
 * messageMaker returns a function making a message equal to create(desc, fields), for fields whose
 * nested messages are already made (fields given as undefined are left at their zero values).
 */
export function messageMaker<Desc extends DescMessage>(desc: Desc): (fields: MessageFields<Desc>) => MessageShape<Desc> {
  let fast: ((fields: MessageFields<Desc>) => MessageShape<Desc>) | undefined;
  return (fields) => (compiled ? (fast ??= compiledMaker(desc))(fields) : create(desc, fields as unknown as MessageInitShape<Desc>));
}

/**
 * EncodedMessage is a message of type `schema` already in its binary form: `bytes` are exactly
 * what toBinary writes for it. A list response is encoded once, item by item, so that its size is
 * known while it is built and it is never held twice; toSend makes it what the caller's codec
 * needs.
 */
export interface EncodedMessage<Desc extends DescMessage> {
  readonly schema: Desc;
  readonly bytes: Uint8Array;
}

/** WireFormat is the serialization a caller negotiated: protobuf binary, or proto3 JSON. */
export type WireFormat = "binary" | "json";

/**
 * toSend turns an encoded message into the message to hand a serializer of the given format.
 * For a binary response with the compiled codecs, the bytes are sent as they are (preEncoded):
 * connect-es's toBinary copies them verbatim. Every other case gets the real message, decoded
 * with fromBinary, so a JSON caller receives every field, never the `{}` a pre-encoded message
 * would read as.
 */
export function toSend<Desc extends DescMessage>(encoded: EncodedMessage<Desc>, format: WireFormat): MessageShape<Desc> {
  if (format === "binary" && compiled) return preEncoded(encoded.schema, encoded.bytes);
  return fromBinary(encoded.schema, encoded.bytes);
}

/** ListItems is the start of a list response: as many items as fitted, encoded. */
export interface ListItems<Desc extends DescMessage> {
  /** How many items were encoded. */
  readonly count: number;
  /** Whether items were left over because the budget was reached. */
  readonly more: boolean;
  /** finish adds the response's other fields and returns the whole response, encoded. */
  finish(rest: Omit<MessageInitShape<Desc>, "list">): EncodedMessage<Desc>;
}

/**
 * encodeListItems starts a list response (`repeated … list = 1`, its other fields after it) with
 * the items an iterable makes, encoding each as it comes: when `items` makes them lazily, a page's
 * items are never all alive at once. Items are taken while the response's encoding stays within
 * `budget` bytes, and at least one. The response is what toBinary writes for
 * create(response, { list: taken, ...rest }).
 */
export function encodeListItems<Desc extends DescMessage>(response: Desc, items: Iterable<unknown>, budget: number): ListItems<Desc> {
  if (compiled) {
    const started = compiledListItems(response, items, budget);
    return {
      count: started.count,
      more: started.more,
      finish: (rest) => ({ schema: response, bytes: started.finish(rest) }),
    };
  }
  const list = listField(response);
  const taken: MessageShape<DescMessage>[] = [];
  let size = 0;
  let more = false;
  for (const item of items) {
    const length = toBinary(list, item as MessageShape<DescMessage>).length;
    // Each item is its tag (one byte: field 1, length-delimited), its length, then its bytes.
    const itemSize = 1 + varintSize(length) + length;
    if (size + itemSize > budget && taken.length > 0) {
      more = true;
      break;
    }
    taken.push(item as MessageShape<DescMessage>);
    size += itemSize;
  }
  return {
    count: taken.length,
    more,
    finish: (rest) => ({ schema: response, bytes: toBinary(response, create(response, { ...rest, list: taken } as unknown as MessageInitShape<Desc>)) }),
  };
}

function listField(response: DescMessage): DescMessage {
  const list = response.fields.find((f) => f.localName === "list");
  if (list?.number !== 1 || list.fieldKind !== "list" || list.listKind !== "message") {
    throw new TypeError(`${response.typeName} is not a list response (repeated message list = 1, then its other fields)`);
  }
  return list.message;
}

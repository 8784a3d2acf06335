import { configureTextEncoding, getTextEncoding } from "@bufbuild/protobuf/wire";

type TextEncoding = ReturnType<typeof getTextEncoding>;

/**
 * protobuf-es converts every string field with TextEncoder/TextDecoder, which cost a few hundred
 * nanoseconds per call in Node; a sync page encodes tens of thousands of short strings. Node's
 * Buffer does the same conversions (invalid input becomes U+FFFD either way) several times
 * faster. Strict decoding, which rejects invalid UTF-8 in requests, stays with TextDecoder.
 */
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

const BUFFER_TEXT_ENCODING: TextEncoding = {
  encodeUtf8: (text) => Buffer.from(text, "utf8"),
  decodeUtf8: (bytes, strict) =>
    strict ? strictDecoder.decode(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8"),
  checkUtf8: (text) => text.isWellFormed(),
};

/** protobuf-es's own text encoding, kept to go back to it (the library codecs). */
const LIBRARY_TEXT_ENCODING: TextEncoding = getTextEncoding();

/**
 * useBufferTextEncoding makes protobuf-es convert strings with Node's Buffer (true) or with its
 * own TextEncoder/TextDecoder (false). It changes a process-wide setting of protobuf-es, so it is
 * called once, at startup, by useCodecs.
 */
export function useBufferTextEncoding(on: boolean): void {
  configureTextEncoding(on ? BUFFER_TEXT_ENCODING : LIBRARY_TEXT_ENCODING);
}

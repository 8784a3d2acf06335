import { create, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { Edition } from "@bufbuild/protobuf/wkt";

/** MessageFields are the fields of a message that are set, nested messages already made. */
export type MessageFields<Desc extends DescMessage> = Partial<Omit<MessageShape<Desc>, "$typeName">>;

/**
 * messageMaker returns a function that makes a message of a proto3 type from fields whose nested
 * messages are already made: what create() returns for them, with the fields that are not given
 * (or given as undefined) at their zero values, and message fields that are not set present as
 * undefined. create() walks every field of the type through reflection; a sync makes a grant, its
 * stub entitlement and two resource ids per row, and that walk was most of a grant's cost (and
 * four times that before the JIT warmed up). The maker is generated source, one object literal
 * with every field of the type in the same order, so every message of a type has one shape. The
 * zero values, empty lists, maps and oneofs included, are shared by every message made, so they
 * are frozen: a field is replaced, never changed in place. Other syntaxes (proto2 keeps defaults
 * on a prototype) get create() itself.
 */
export function messageMaker<Desc extends DescMessage>(desc: Desc): (fields: MessageFields<Desc>) => MessageShape<Desc> {
  if (desc.file.edition !== Edition.EDITION_PROTO3) return (fields) => create(desc, fields as never);
  const zero = create(desc) as Record<string, unknown>;
  for (const value of Object.values(zero)) if (typeof value === "object" && value !== null) Object.freeze(value);
  Object.freeze(zero);
  // Names come from descriptors (JSON-quoted), and values from the zero message passed in.
  const names = desc.members.map((m) => JSON.stringify(m.localName));
  const props = names.map((name) => `${name}: f[${name}] !== undefined ? f[${name}] : z[${name}]`);
  const source = `return function make(f) { return { $typeName: z.$typeName, ${props.join(", ")} }; };`;
  return new Function("z", source)(zero) as (fields: MessageFields<Desc>) => MessageShape<Desc>;
}

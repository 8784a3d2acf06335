import { create, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { Edition } from "@bufbuild/protobuf/wkt";

/** MessageFields are the fields of a message that are set (never undefined), nested messages already made. */
export type MessageFields<Desc extends DescMessage> = Partial<Omit<MessageShape<Desc>, "$typeName">>;

/**
 * messageMaker returns a function that makes a message of a proto3 type from fields whose nested
 * messages are already made: a copy of the type's zero message with the fields set, which is
 * what create() returns for them. create() walks every field of the type through reflection; a
 * sync makes a grant, its stub entitlement and two resource ids per row, and that walk was most
 * of a grant's cost (and four times that before the JIT warmed up). The zero message and its
 * empty lists, maps and oneofs are shared by every copy, so they are frozen: a copy's fields are
 * replaced, never changed in place. Other syntaxes (proto2 keeps defaults on a prototype) get
 * create() itself.
 */
export function messageMaker<Desc extends DescMessage>(desc: Desc): (fields: MessageFields<Desc>) => MessageShape<Desc> {
  if (desc.file.edition !== Edition.EDITION_PROTO3) return (fields) => create(desc, fields as never);
  const zero = create(desc) as Record<string, unknown>;
  for (const value of Object.values(zero)) if (typeof value === "object" && value !== null) Object.freeze(value);
  Object.freeze(zero);
  return (fields) => ({ ...zero, ...fields }) as MessageShape<Desc>;
}

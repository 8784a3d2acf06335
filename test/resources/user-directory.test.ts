import { describe, expect, it } from "vitest";
import { createUserDirectory } from "../../src/resources/user-directory.js";

describe("user directory", () => {
  it("finds users by email, case-insensitively", () => {
    const users = createUserDirectory();
    users.remember("Dave@Acme.example", "u-dave");
    expect(users.idOf("dave@acme.example")).toBe("u-dave");
    expect(users.idOf("erin@acme.example")).toBeUndefined();
    users.remember("", "u-none");
    users.remember("x@acme.example", "");
    expect([users.idOf(""), users.idOf("x@acme.example")]).toEqual([undefined, undefined]);
  });

  it("forgets the address seen longest ago beyond its bound", () => {
    const users = createUserDirectory(2);
    users.remember("a@x.example", "a");
    users.remember("b@x.example", "b");
    users.remember("a@x.example", "a"); // seen again: now the freshest
    users.remember("c@x.example", "c");
    expect(["a", "b", "c"].map((n) => users.idOf(`${n}@x.example`))).toEqual(["a", undefined, "c"]);
  });
});

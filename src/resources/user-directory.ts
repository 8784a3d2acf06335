/**
 * UserDirectory maps the email addresses of users the connector has seen (listed by a sync,
 * fetched by id, or named with their id by an audit record) to their ids, so that an audit
 * record naming a user only by email can still name the user resource, without asking Temporal
 * Cloud. It forgets the least recently seen address beyond its bound.
 */
export interface UserDirectory {
  remember(email: string, userId: string): void;
  /** idOf returns the id of the user with this email (case-insensitive), if one was seen. */
  idOf(email: string): string | undefined;
}

/**
 * DEFAULT_DIRECTORY_SIZE bounds the directory: 50,000 addresses (about 10 MB), every user of
 * all but the largest accounts; beyond it, the addresses seen longest ago are forgotten.
 */
export const DEFAULT_DIRECTORY_SIZE = 50_000;

/** createUserDirectory returns an empty UserDirectory holding at most maxEntries addresses. */
export function createUserDirectory(maxEntries = DEFAULT_DIRECTORY_SIZE): UserDirectory {
  // A Map iterates in insertion order: re-inserting on every sighting makes the first key the stalest.
  const ids = new Map<string, string>();
  return {
    remember(email, userId) {
      if (email === "" || userId === "") return;
      const key = email.toLowerCase();
      ids.delete(key);
      ids.set(key, userId);
      if (ids.size > maxEntries) ids.delete(ids.keys().next().value!);
    },
    idOf: (email) => ids.get(email.toLowerCase()),
  };
}

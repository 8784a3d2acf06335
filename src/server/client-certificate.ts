import type * as http2 from "node:http2";
import type { TLSSocket } from "node:tls";
import { Code, ConnectError, createContextKey, createContextValues, type ContextValues, type Interceptor } from "@connectrpc/connect";

/** CertificateRefusal says why a client certificate is not allowed, and what it names (for the log). */
export interface CertificateRefusal {
  /** The status message callers on the connection get. */
  reason: string;
  subject: string;
  /** Its DNS and URI subject alternative names, as "DNS:…" and "URI:…" (at most a few, clipped). */
  sans: string[];
}

/**
 * checkClientCertificate compares the DNS and URI subject alternative names of a mutual-TLS
 * connection's client certificate with the allowed ones (--tls-client-san): an allowed entry
 * with ":" is a URI and must be equal; any other is a DNS name, equal without regard to case.
 * There are no wildcards either way: a certificate for "*.example.com" matches only the entry
 * "*.example.com". Returns undefined when one matches.
 */
export function checkClientCertificate(session: http2.Http2Session, allowed: readonly string[]): CertificateRefusal | undefined {
  const certificate = (session.socket as TLSSocket).getPeerX509Certificate?.();
  const names = certificate?.subjectAltName ? subjectAltNames(certificate.subjectAltName) : [];
  const dns = new Set(names.filter((n) => n.type === "DNS").map((n) => n.value.toLowerCase()));
  const uris = new Set(names.filter((n) => n.type === "URI").map((n) => n.value));
  if (allowed.some((entry) => (entry.includes(":") ? uris.has(entry) : dns.has(entry.toLowerCase())))) return undefined;
  const shown = names
    .filter((n) => n.type === "DNS" || n.type === "URI")
    .slice(0, 8)
    .map((n) => `${n.type}:${n.value.length > 256 ? `${n.value.slice(0, 256)}…` : n.value}`);
  return {
    reason: "the client certificate names none of the subject alternative names this connector accepts (--tls-client-san)",
    subject: (certificate?.subject ?? "").slice(0, 512),
    sans: shown,
  };
}

/**
 * subjectAltNames reads Node's rendering of the extension: "TYPE:value" entries joined by ", ",
 * a value that holds a comma, quote or other special character written as a JSON string.
 */
export function subjectAltNames(text: string): { type: string; value: string }[] {
  const names: { type: string; value: string }[] = [];
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(":", i);
    if (colon < 0) break;
    const type = text.slice(i, colon);
    let value: string;
    let end: number;
    if (text[colon + 1] === '"') {
      let j = colon + 2;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      end = j + 1;
      try {
        value = JSON.parse(text.slice(colon + 1, end)) as string;
      } catch {
        value = text.slice(colon + 1, end);
      }
    } else {
      end = text.indexOf(", ", colon);
      if (end < 0) end = text.length;
      value = text.slice(colon + 1, end);
    }
    names.push({ type, value });
    i = end + 2;
  }
  return names;
}

const REFUSAL = createContextKey<string | undefined>(undefined, { description: "why the client certificate is refused" });

/** certificateContext carries a connection's refusal, if any, to the interceptor. */
export function certificateContext(reason: string | undefined): ContextValues {
  const values = createContextValues();
  if (reason !== undefined) values.set(REFUSAL, reason);
  return values;
}

/**
 * certificateInterceptor answers UNAUTHENTICATED to every call on a connection whose client
 * certificate was refused, before the call is validated or handled.
 */
export function certificateInterceptor(): Interceptor {
  return (next) => async (req) => {
    const reason = req.contextValues.get(REFUSAL);
    if (reason !== undefined) throw new ConnectError(reason, Code.Unauthenticated);
    return next(req);
  };
}

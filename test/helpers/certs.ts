// @peculiar/x509 resolves its services through tsyringe, which needs a Reflect metadata
// polyfill loaded first (the library's README says so); ESM evaluates imports in order.
import "reflect-metadata";
import { randomBytes, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

// The project compiles without the DOM library; Node's own WebCrypto types stand in for it.
type Algorithm = webcrypto.Algorithm;
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type EcdsaParams = webcrypto.EcdsaParams;
type EcKeyGenParams = webcrypto.EcKeyGenParams;
type RsaHashedKeyGenParams = webcrypto.RsaHashedKeyGenParams;

/** KeyAlgorithm names the key types a connector's TLS must accept. */
export type KeyAlgorithm = "ed25519" | "ecdsa-p256" | "rsa-2048";

/** KEY_ALGORITHMS lists every KeyAlgorithm, Ed25519 (what baton-sdk generates) first. */
export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ["ed25519", "ecdsa-p256", "rsa-2048"];

/** CertifiedKey is a PEM certificate and its PEM (PKCS#8) private key. */
export interface CertifiedKey {
  cert: string;
  key: string;
}

/** TlsMaterial is one launch's worth of credentials: a CA and the two leaves it signed. */
export interface TlsMaterial {
  /** PEM certificate of the CA that signed server and client. */
  ca: string;
  server: CertifiedKey;
  client: CertifiedKey;
}

const ALGORITHMS: Record<KeyAlgorithm, { generate: RsaHashedKeyGenParams | EcKeyGenParams | Algorithm; sign: Algorithm | EcdsaParams }> = {
  ed25519: { generate: { name: "Ed25519" }, sign: { name: "Ed25519" } },
  "ecdsa-p256": { generate: { name: "ECDSA", namedCurve: "P-256" } as EcKeyGenParams, sign: { name: "ECDSA", hash: "SHA-256" } as EcdsaParams },
  "rsa-2048": {
    generate: { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" } as RsaHashedKeyGenParams,
    sign: { name: "RSASSA-PKCS1-v1_5" },
  },
};

// The distinguished names baton-sdk's pkg/utls puts on its per-launch credentials (docs/baton-protocol.md, "Process launch and TLS").
const ORGANIZATION = "O=ConductorOne, OU=connector sdk, C=US, ST=OR, L=Portland";
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * createTlsMaterial generates credentials the way baton-sdk does before it launches a connector
 * (docs/baton-protocol.md, "Process launch and TLS"): a self-signed CA ("c1-connector-ca", CA:true, keyCertSign), and a
 * server and a client certificate signed by it, each with its own key, IP SANs 127.0.0.1 and ::1,
 * ExtKeyUsage clientAuth+serverAuth, a random 128-bit serial. baton-sdk uses Ed25519 only; the
 * other algorithms prove that operators' own PKI works too.
 */
export async function createTlsMaterial(algorithm: KeyAlgorithm = "ed25519"): Promise<TlsMaterial> {
  const ca = await createCertificateAuthority(algorithm);
  return {
    ca: ca.cert,
    server: await ca.issue("c1-connector-server"),
    client: await ca.issue("c1-connector-client"),
  };
}

/** CertificateAuthority is a CA that can sign leaf certificates. */
export interface CertificateAuthority {
  cert: string;
  /**
   * issue signs a new leaf with a fresh key, valid for loopback IPs and both TLS roles; names
   * adds DNS and URI subject alternative names.
   */
  issue(commonName: string, names?: { dns?: string[]; uri?: string[] }): Promise<CertifiedKey>;
}

/** createCertificateAuthority makes a self-signed CA with a fresh key of the given algorithm. */
export async function createCertificateAuthority(algorithm: KeyAlgorithm, commonName = "c1-connector-ca"): Promise<CertificateAuthority> {
  const alg = ALGORITHMS[algorithm];
  const caKeys = await generateKeys(algorithm);
  const caName = `CN=${commonName}, ${ORGANIZATION}`;
  const now = Date.now();
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: caName,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + 20 * 365 * DAY_MS),
    signingAlgorithm: alg.sign,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth, x509.ExtendedKeyUsage.serverAuth]),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  return {
    cert: caCert.toString("pem"),
    async issue(leafName, names = {}) {
      const keys = await generateKeys(algorithm);
      const leaf = await x509.X509CertificateGenerator.create({
        serialNumber: randomSerial(),
        subject: `CN=${leafName}, ${ORGANIZATION}`,
        issuer: caCert.subject,
        notBefore: new Date(now - DAY_MS),
        notAfter: new Date(now + 365 * DAY_MS),
        signingAlgorithm: alg.sign,
        publicKey: keys.publicKey,
        signingKey: caKeys.privateKey,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          // RSA keys also need keyEncipherment for TLS 1.2's RSA key exchange; harmless otherwise.
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | (algorithm === "rsa-2048" ? x509.KeyUsageFlags.keyEncipherment : 0), true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth, x509.ExtendedKeyUsage.serverAuth]),
          new x509.SubjectAlternativeNameExtension([
            { type: "ip", value: "127.0.0.1" },
            { type: "ip", value: "::1" },
            ...(names.dns ?? []).map((value) => ({ type: "dns" as const, value })),
            ...(names.uri ?? []).map((value) => ({ type: "url" as const, value })),
          ]),
          await x509.AuthorityKeyIdentifierExtension.create(caCert),
        ],
      });
      return { cert: leaf.toString("pem"), key: await privateKeyPem(keys.privateKey) };
    },
  };
}

async function generateKeys(algorithm: KeyAlgorithm): Promise<CryptoKeyPair> {
  // Extractable, so the private key can be written out as PKCS#8 for Node's TLS.
  return (await webcrypto.subtle.generateKey(ALGORITHMS[algorithm].generate, true, ["sign", "verify"])) as CryptoKeyPair;
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", key));
  const body = der.toString("base64").replace(/.{1,64}/g, "$&\n");
  return `-----BEGIN PRIVATE KEY-----\n${body}-----END PRIVATE KEY-----\n`;
}

/** randomSerial is a positive 128-bit serial, as Go's crypto/x509 users generate them. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f; // DER integers are signed: keep it positive
  return bytes.toString("hex");
}

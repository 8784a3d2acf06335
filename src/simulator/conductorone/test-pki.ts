// @peculiar/x509 resolves its services through tsyringe, which needs a Reflect metadata
// polyfill loaded first (the library's README says so); ESM evaluates imports in order.
import "reflect-metadata";
import { randomBytes, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

/** TestPki is a certificate authority of the simulator's own and the server certificate it signed. */
export interface TestPki {
  /** PEM certificate of the CA: what a client must trust (NODE_EXTRA_CA_CERTS, SSL_CERT_FILE). */
  ca: string;
  /** PEM certificate of the server, valid for 127.0.0.1, ::1 and localhost. */
  cert: string;
  /** PEM (PKCS#8) private key of cert. */
  key: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const ECDSA_P256 = { name: "ECDSA", namedCurve: "P-256" } as webcrypto.EcKeyGenParams;
const SIGN = { name: "ECDSA", hash: "SHA-256" } as webcrypto.EcdsaParams;

/**
 * createTestPki makes a fresh CA and a server certificate for the ConductorOne simulator, ECDSA
 * P-256 (which every TLS client takes, grpc-go's and Node's alike), with the extensions strict
 * verifiers (Go's crypto/x509) require: CA basic constraints and keyCertSign on the CA, serverAuth
 * and loopback SANs on the leaf.
 */
export async function createTestPki(): Promise<TestPki> {
  const now = Date.now();
  const caKeys = (await webcrypto.subtle.generateKey(ECDSA_P256, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: "CN=ConductorOne simulator test CA, O=temporalcloud-connector",
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + 365 * DAY_MS),
    signingAlgorithm: SIGN,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const keys = (await webcrypto.subtle.generateKey(ECDSA_P256, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: "CN=ConductorOne simulator, O=temporalcloud-connector",
    issuer: caCert.subject,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + 30 * DAY_MS),
    signingAlgorithm: SIGN,
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: "ip", value: "127.0.0.1" },
        { type: "ip", value: "::1" },
        { type: "dns", value: "localhost" },
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  const der = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  const key = `-----BEGIN PRIVATE KEY-----\n${der.toString("base64").replace(/.{1,64}/g, "$&\n")}-----END PRIVATE KEY-----\n`;
  return { ca: caCert.toString("pem"), cert: leaf.toString("pem"), key };
}

/** randomSerial is a positive 128-bit serial. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f; // DER integers are signed: keep it positive
  return bytes.toString("hex");
}

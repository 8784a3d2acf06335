import { createRegistry, toBinary, type DescFile, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, type ConnectRouter } from "@connectrpc/connect";
import { ServerReflection as ServerReflectionV1 } from "../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1alpha } from "../gen/grpc/reflection/v1alpha/reflection_pb.js";

/** The request and response shapes are identical in v1 and v1alpha; only the package differs. */
interface ReflectionRequest {
  host: string;
  messageRequest:
    | { case: "fileByFilename" | "fileContainingSymbol" | "allExtensionNumbersOfType" | "listServices"; value: string }
    | { case: "fileContainingExtension"; value: { containingType: string; extensionNumber: number } }
    | { case: undefined; value?: undefined };
}

/**
 * registerReflection serves gRPC server reflection (v1 and v1alpha) from the descriptors that
 * protoc-gen-es embeds in the generated code, so buf curl and grpcurl need no .proto files.
 * We write it ourselves (it is one small function) because the reflection packages on npm are
 * built for @grpc/grpc-js servers, not for connect-node.
 */
export function registerReflection(router: ConnectRouter, services: readonly DescService[], extraFiles: readonly DescFile[] = []): void {
  const files = new Map<string, DescFile>();
  const collect = (file: DescFile) => {
    if (files.has(file.proto.name)) return;
    files.set(file.proto.name, file);
    file.dependencies.forEach(collect);
  };
  services.forEach((s) => collect(s.file));
  extraFiles.forEach(collect);
  const registry = createRegistry(...files.values());
  const encoded = new Map<string, Uint8Array>();
  const encode = (file: DescFile) => {
    let bytes = encoded.get(file.proto.name);
    if (!bytes) encoded.set(file.proto.name, (bytes = toBinary(FileDescriptorProtoSchema, file.proto)));
    return bytes;
  };
  /** withDependencies returns the file and everything it imports, dependencies first. */
  const withDependencies = (file: DescFile) => {
    const out: DescFile[] = [];
    const seen = new Set<string>();
    const visit = (f: DescFile) => {
      if (seen.has(f.proto.name)) return;
      seen.add(f.proto.name);
      f.dependencies.forEach(visit);
      out.push(f);
    };
    visit(file);
    return { fileDescriptorProto: out.map(encode) };
  };
  /**
   * fileOfSymbol finds the file that declares a fully-qualified name: a type or service, or a
   * member of one (method, field, oneof, value of a nested enum). A member that does not exist is
   * NOT_FOUND, as in grpc-go, so a client's typo is not answered with an unrelated file.
   */
  const fileOfSymbol = (symbol: string): DescFile | undefined => {
    const found = registry.get(symbol);
    if (found) return found.file;
    const dot = symbol.lastIndexOf(".");
    if (dot < 0) return undefined;
    const [parent, member] = [symbol.slice(0, dot), symbol.slice(dot + 1)];
    const service = registry.getService(parent);
    if (service) return service.methods.some((m) => m.name === member) ? service.file : undefined;
    const message = registry.getMessage(parent);
    if (!message) return undefined;
    const declared = [...message.fields, ...message.oneofs, ...message.nestedEnums.flatMap((e) => e.values)].some((m) => m.name === member);
    return declared ? message.file : undefined;
  };
  const notFound = (what: string) => ({ case: "errorResponse" as const, value: { errorCode: Code.NotFound, errorMessage: `${what} not found` } });

  function answer(req: ReflectionRequest) {
    const r = req.messageRequest;
    switch (r.case) {
      case "listServices":
        return { case: "listServicesResponse" as const, value: { service: services.map((s) => ({ name: s.typeName })) } };
      case "fileByFilename": {
        const file = files.get(r.value);
        return file ? { case: "fileDescriptorResponse" as const, value: withDependencies(file) } : notFound(`file "${r.value}"`);
      }
      case "fileContainingSymbol": {
        const file = fileOfSymbol(r.value);
        return file ? { case: "fileDescriptorResponse" as const, value: withDependencies(file) } : notFound(`symbol "${r.value}"`);
      }
      case "fileContainingExtension": {
        const ext = registry.getMessage(r.value.containingType) && registry.getExtensionFor(registry.getMessage(r.value.containingType)!, r.value.extensionNumber);
        return ext ? { case: "fileDescriptorResponse" as const, value: withDependencies(ext.file) } : notFound(`extension ${r.value.extensionNumber} of "${r.value.containingType}"`);
      }
      case "allExtensionNumbersOfType": {
        if (!registry.getMessage(r.value)) return notFound(`type "${r.value}"`);
        const numbers = [...registry].filter((d) => d.kind === "extension" && d.extendee.typeName === r.value).map((d) => (d.kind === "extension" ? d.number : 0));
        return { case: "allExtensionNumbersResponse" as const, value: { baseTypeName: r.value, extensionNumber: numbers } };
      }
      default:
        return { case: "errorResponse" as const, value: { errorCode: Code.InvalidArgument, errorMessage: "empty reflection request" } };
    }
  }

  async function* serverReflectionInfo(requests: AsyncIterable<ReflectionRequest>) {
    for await (const req of requests) {
      yield { validHost: req.host, originalRequest: req, messageResponse: answer(req) };
    }
  }
  for (const service of REFLECTION_SERVICES) router.service(service, { serverReflectionInfo });
}

/** REFLECTION_SERVICES are the reflection services registerReflection serves (v1 and v1alpha). */
export const REFLECTION_SERVICES = [ServerReflectionV1, ServerReflectionV1alpha] as const;

import EmbeddingService
import Foundation
import GeneratorService
import Hummingbird
import RAGService
import ServiceSupport
import Testing
import TestSupport

/// The documents `GET /openapi.yaml` serves: valid OpenAPI (checked by openapi-spec-validator,
/// installed by script/bootstrap), and naming every route its service's router has.
@Suite("OpenAPI documents")
struct OpenAPIDocumentTests {
    /// Runs the virtualenv's Python with `arguments`; its standard output.
    static func python(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let python = TestModels.root.appendingPathComponent(".venv/bin/python").path
        try #require(FileManager.default.isExecutableFile(atPath: python), "run script/bootstrap: it creates .venv")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// `METHOD /path` for every operation of the document.
    static func operations(of document: URL) throws -> Set<String> {
        let script = """
            import json, sys, yaml
            paths = yaml.safe_load(open(sys.argv[1]))["paths"]
            print(json.dumps([m.upper() + " " + p for p, ops in paths.items() for m in ops if m in ("get", "post", "put", "patch", "delete")]))
            """
        let (status, output) = try python(["-c", script, document.path])
        #expect(status == 0, "\(output)")
        return Set(try JSONDecoder().decode([String].self, from: Data(output.utf8)))
    }

    static func check(_ router: Router<ServiceRequestContext>, document: URL) throws {
        let (status, output) = try python(["-m", "openapi_spec_validator", "--errors", "all", document.path])
        #expect(status == 0, "\(document.lastPathComponent) is not valid OpenAPI: \(output)")
        let documented = try operations(of: document)
        let routed = Set(router.routes.map { "\($0.method.rawValue) \($0.path.description)" })
        #expect(routed.count >= 4 && documented.count >= 4)
        #expect(routed.subtracting(documented).isEmpty, "routes missing from \(document.path): \(routed.subtracting(documented).sorted())")
        #expect(documented.subtracting(routed).isEmpty, "documented but not routed: \(documented.subtracting(routed).sorted())")
    }

    @Test func embeddingService() throws {
        try Self.check(
            try buildEmbeddingRouter(embedder: TestModels.embedder, settings: .init(), metrics: ServiceMetrics()), document: embeddingOpenAPIDocument)
    }

    @Test func generatorService() throws {
        let generator = try TestServices.generator(parallel: 1)
        defer { generator.shutdown() }
        try Self.check(try buildGeneratorRouter(generator: generator, metrics: ServiceMetrics()), document: generatorOpenAPIDocument)
    }

    @Test func ragService() throws {
        try Self.check(
            try buildRAGRouter(knowledge: RAGServiceTests.knowledge, embeddingModelName: "e5", chatModelName: "qwen", metrics: ServiceMetrics()),
            document: ragOpenAPIDocument)
    }
}

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LlamaRuntime
import Logging
import RAGCore
import RAGService
import ServiceClients
import Synchronization
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// How the rag service spreads calls over the replicas of a model service (Swarm's `dnsrr`).
@Suite("model service replicas", .serialized)
struct ReplicaFailoverTests {
    /// A resolver that answers from a table and counts lookups.
    final class TableResolver: Sendable {
        let answers: Mutex<[String]>
        let lookups = Atomic<Int>(0)
        init(_ answers: [String]) { self.answers = Mutex(answers) }
        var resolve: ServiceReplicas.Resolver {
            { _ in
                self.lookups.add(1, ordering: .relaxed)
                return self.answers.withLock { $0 }
            }
        }
    }

    @Test("calls go to the replicas in turn; a failure or the refresh interval resolves the name again")
    func rotation() async throws {
        let table = TableResolver(["10.0.0.7", "10.0.0.3"])
        let replicas = try ServiceReplicas(url: "http://generator:8002/", refreshInterval: .seconds(3600), resolver: table.resolve)
        #expect(replicas.url == "http://generator:8002")
        #expect(await replicas.rotation() == ["http://10.0.0.3:8002", "http://10.0.0.7:8002"])
        #expect(await replicas.rotation() == ["http://10.0.0.7:8002", "http://10.0.0.3:8002"])
        #expect(table.lookups.load(ordering: .relaxed) == 1)

        table.answers.withLock { $0 = ["10.0.0.3", "10.0.0.9", "10.0.0.7"] }  // scaled up
        #expect(await replicas.rotation().count == 2)  // not looked up again yet
        replicas.reportFailure()
        #expect(await replicas.rotation().count == 3)
        #expect(table.lookups.load(ordering: .relaxed) == 2)

        table.answers.withLock { $0 = [] }  // the name does not resolve for a moment
        replicas.reportFailure()
        #expect(await replicas.rotation().count == 3)  // the last known replicas are kept
    }

    @Test("names that do not resolve, IPv6 addresses, https and bad URLs")
    func edges() async throws {
        let unresolved = try ServiceReplicas(url: "http://nowhere.invalid:8001", resolver: { _ in [] })
        #expect(await unresolved.rotation() == ["http://nowhere.invalid:8001"])
        let v6 = try ServiceReplicas(url: "http://generator:8002/base", resolver: { _ in ["fd00::2"] })
        #expect(await v6.rotation() == ["http://[fd00::2]:8002/base"])
        let tls = try ServiceReplicas(url: "https://models.example.org", resolver: { _ in ["10.0.0.1"] })
        #expect(await tls.rotation() == ["https://models.example.org"])
        #expect(throws: InvalidServiceURL.self) { try ServiceReplicas(url: "generator:8002") }
        #expect(throws: InvalidServiceURL.self) { try ServiceReplicas(url: "ftp://generator") }
        #expect(await ServiceReplicas.systemLookUp("localhost").contains("127.0.0.1"))
    }

    /// Starts `guiche serve generator` on `host:port` and waits until it answers.
    static func startGenerator(host: String, port: Int) async throws -> Process {
        let executable = TestModels.root.appendingPathComponent(".build/debug/guiche").path
        try #require(FileManager.default.isExecutableFile(atPath: executable), "build the guiche executable first (script/test does)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["serve", "generator", "--host", host, "--port", "\(port)", "--chat-model", TestModels.chatPath]
        process.environment = ProcessInfo.processInfo.environment.merging(["N_THREADS": "1", "LOGS_DIR": NSTemporaryDirectory() + "guiche-replica-logs"]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<1200 {  // up to 2 minutes on loaded cores
            try #require(process.isRunning, "the generator on \(host):\(port) exited (status \(process.terminationStatus)) before it was ready")
            if let (_, response) = try? await URLSession.shared.data(from: URL(string: "http://\(host):\(port)/health")!),
               (response as? HTTPURLResponse)?.statusCode == 200 { return process }
            try await Task.sleep(for: .milliseconds(100))
        }
        process.terminate()
        throw CancellationError()
    }

    @Test("a generator replica killed mid-answer: the answer completes on the other replica, unchanged")
    func failoverMidAnswer() async throws {
        let port = TestPorts.unused()
        let first = try await Self.startGenerator(host: "127.0.0.1", port: port)
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
        let second = try await Self.startGenerator(host: "127.0.0.2", port: port)
        defer { second.terminate(); second.waitUntilExit() }

        let messages = [ChatMessage(role: "user", content: "Explique em português, em detalhes, como funciona a renovação da carteira de motorista.")]
        let parameters = SamplingParameters.greedy(maxTokens: 64)
        let logger = Logger(label: "test")
        // Both replicas behind one name, as Swarm's DNS answers for `endpoint_mode: dnsrr`.
        let balanced = try RemoteGeneration(baseURL: "http://generator.test:\(port)", resolver: { _ in ["127.0.0.1", "127.0.0.2"] }, logger: logger)
        var text = ""
        var summary: GenerationSummary?
        for try await event in try await balanced.stream(messages: messages, parameters: parameters) {
            switch event {
            case .text(let piece):
                if text.isEmpty { kill(first.processIdentifier, SIGKILL) }  // the first replica dies mid-answer
                text += piece
            case .finished(let finished):
                summary = finished
            }
        }
        first.waitUntilExit()
        #expect(first.terminationReason == .uncaughtSignal)

        // The same request answered by the surviving replica alone.
        let alone = try RemoteGeneration(baseURL: "http://127.0.0.2:\(port)", logger: logger)
        var expected = ""
        for try await event in try await alone.stream(messages: messages, parameters: parameters) {
            if case .text(let piece) = event { expected += piece }
        }
        #expect(!expected.isEmpty)
        #expect(text == expected)
        #expect(summary?.usage.completionTokens == 64)
    }
}

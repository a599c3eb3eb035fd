import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
@testable import ServiceSupport
import Synchronization
import Testing

/// `LOG_FORMAT=json` lines and the access line of every request.
@Suite("access log and JSON log lines")
struct AccessLogTests {
    @Test("a JSON log line holds the fixed fields and the metadata, numbers as numbers")
    func jsonLine() throws {
        let line = LineLogHandler.line(
            format: .json, time: Date(timeIntervalSince1970: 0), level: .info, label: "guiche.rag", message: "request",
            metadata: ["route": "/chat", "status": "200", "duration_ms": "12.5"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["message"] as? String == "request")
        #expect(object["level"] as? String == "info")
        #expect(object["label"] as? String == "guiche.rag")
        #expect(object["route"] as? String == "/chat")
        #expect(object["status"] as? Int == 200)
        #expect(object["duration_ms"] as? Double == 12.5)
        #expect(!line.contains("\n"))
    }

    @Test("every request, matched or not, gets one access line with its id, route, status and duration")
    func accessLines() async throws {
        let lines = Mutex<[String]>([])
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: RequestOutcomeMiddleware { outcome, logger in outcome.log(to: logger) })
        router.get("/items/{id}") { _, _ in "ok" }
        var logger = Logger(label: "test") { label in LineLogHandler(label: label, format: .json) { line in lines.withLock { $0.append(line) } } }
        logger.logLevel = .info
        let app = Application(router: router, logger: logger)
        try await app.test(.router) { client in
            try await client.execute(uri: "/items/7", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/nowhere", method: .get) { #expect($0.status == .notFound) }
        }
        let access = try lines.withLock { $0 }.compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .filter { $0["message"] as? String == "request" }
        #expect(access.count == 2)
        #expect(access.first?["route"] as? String == "/items/{id}")  // the pattern, not the path: bounded values
        #expect(access.map { $0["path"] as? String } == ["/items/7", "/nowhere"])
        #expect(access.map { $0["status"] as? Int } == [200, 404])
        #expect(access.allSatisfy { ($0["request_id"] as? String)?.isEmpty == false && $0["duration_ms"] is Double })
    }
}

@Suite("log folders")
struct LogFolderTests {
    @Test("{host} in LOGS_DIR becomes the host name: replicas on one volume write apart")
    func perHost() {
        #expect(ServiceLogging.directory("/app/app/logs/{host}", hostName: "a1b2c3") == "/app/app/logs/a1b2c3")
        #expect(ServiceLogging.directory("app/logs", hostName: "a1b2c3") == "app/logs")
    }
}

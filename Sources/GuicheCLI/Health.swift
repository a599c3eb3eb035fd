import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore

/// `guiche health`: asks a running service's `/health` — the containers' HEALTHCHECK, so images
/// need no curl.
struct Health: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Exit 0 when the service on this machine answers GET /health with 200 (for container health checks).")

    @Option(help: "The service's port (PORT).")
    var port: Int?

    @Option(help: "Seconds to wait for the answer.")
    var timeout: Int = 5

    func validate() throws {
        if let port, !(1...65535).contains(port) { throw ValidationError("--port must be within 1...65535, got \(port)") }
        guard timeout >= 1 else { throw ValidationError("--timeout must be at least 1 second") }
    }

    func run() async throws {
        let config = try await GuicheConfiguration.load()
        guard let port = try port ?? config.integer("port") else {
            throw ValidationError("name the service's port: --port or PORT")
        }
        let url = "http://127.0.0.1:\(port)/health"
        do {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(Int64(timeout)))
            let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
            print("\(response.status.code) \(body)")
            guard response.status == .ok else { throw ExitCode.failure }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            print("\(url): \(error)")
            throw ExitCode.failure
        }
    }
}

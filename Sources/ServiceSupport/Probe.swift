import Hummingbird

/// Liveness and readiness for orchestrators (Docker, Swarm, Kubernetes): `GET /health/live`
/// answers 200 while the process serves; `GET /health/ready` answers 200 when the service can do
/// its work (the rag service: index loaded and model services reachable) and 503 otherwise, so
/// that traffic waits. Both are `{"status"}` only: no model names, no counts.
public enum Probe {
    struct Status: ResponseEncodable {
        var status: String
    }

    static func addRoutes<Context: RequestContext>(to router: Router<Context>, ready: @escaping @Sendable () async -> Bool) {
        router.get("/health/live") { request, context -> Response in
            try Status(status: "live").response(from: request, context: context)
        }
        router.get("/health/ready") { request, context -> Response in
            let isReady = await ready()
            var response = try Status(status: isReady ? "ready" : "not_ready").response(from: request, context: context)
            if !isReady {
                response.status = .serviceUnavailable
                response.headers[.retryAfter] = "5"
            }
            return response
        }
    }
}

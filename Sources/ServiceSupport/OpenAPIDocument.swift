import Foundation
import Hummingbird

/// Serves a service's OpenAPI document (kept in the repository next to the service's code).
public enum OpenAPIDocument {
    /// Adds `GET /openapi.yaml` answering with `url`'s contents.
    public static func addRoute<Context: RequestContext>(to router: Router<Context>, document url: URL) throws {
        let text = try String(contentsOf: url, encoding: .utf8)
        router.get("/openapi.yaml") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }
}

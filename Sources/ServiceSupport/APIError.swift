import Foundation
import GuicheAPI
import Hummingbird
import LlamaRuntime
import NIOHTTP1

/// An error answered as OpenAI does: `{"error": {"message", "type", "param"}}` with a 4xx/5xx status.
public struct APIError: Error, HTTPResponseError, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    /// OpenAI-style error type: `invalid_request_error`, `not_found_error`, `server_error`, …
    public var type: String
    public var message: String
    /// The request field at fault, when one is.
    public var param: String?
    public var headers: HTTPFields

    public init(status: HTTPResponse.Status, type: String, message: String, param: String? = nil, headers: HTTPFields = [:]) {
        self.status = status
        self.type = type
        self.message = message
        self.param = param
        self.headers = headers
    }

    /// 400: the request is malformed or asks for something impossible.
    public static func invalidRequest(_ message: String, param: String? = nil) -> APIError {
        .init(status: .badRequest, type: "invalid_request_error", message: message, param: param)
    }

    /// 503 with `Retry-After`: the service is at capacity, try again shortly.
    public static func overloaded(_ message: String, retryAfterSeconds: Int) -> APIError {
        .init(status: .serviceUnavailable, type: "overloaded_error", message: message, headers: [.retryAfter: "\(retryAfterSeconds)"])
    }

    public var description: String { "\(status.code) \(type): \(message)" }

    /// The JSON this error is answered with (and sent as the error event of a failed stream).
    public var body: ErrorBody {
        ErrorBody(error: .init(message: message, type: type, param: param))
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try JSONEncoder().encode(body, from: request, context: context)
        response.status = status
        response.headers.append(contentsOf: headers)
        return response
    }
}

extension APIError {
    /// The API error for anything a handler throws: input errors become 4xx with their message,
    /// everything unexpected a 500 whose message reveals nothing internal.
    public init(_ error: any Error) {
        switch error {
        case let error as APIError:
            self = error
        case let error as LlamaError:
            self = APIError(llama: error)
        case let error as UpstreamUnavailable:
            // The address and the cause go to the log (see `APIErrorMiddleware`), not to the caller.
            self = APIError(status: .serviceUnavailable, type: "service_unavailable", message: error.publicMessage, headers: [.retryAfter: "5"])
        case let error as UpstreamRejected:
            self = APIError(status: .badGateway, type: "upstream_error", message: error.description)
        case is CancellationError:
            // The client closed the connection before its answer (`Request.cancellingWhenClientLeaves`).
            self = APIError(status: .clientClosedRequest, type: "client_closed_request", message: "the client closed the connection")
        case let error as HTTPParserError:
            // The request's own bytes are malformed (a bad chunk size, a bad header…): the client's error.
            self = .invalidRequest("malformed HTTP request: \(error)")
        case let error as DecodingError:
            self = .invalidRequest(JSONRequest.describe(error), param: JSONRequest.path(of: error))
        case let error as HTTPError:
            self = APIError(status: error.status, type: Self.type(for: error.status), message: error.body ?? error.status.reasonPhrase, headers: error.headers)
        case let error as any HTTPResponseError:
            let message = error.status == .contentTooLarge ? "request body is larger than the service accepts" : error.status.reasonPhrase
            self = APIError(status: error.status, type: Self.type(for: error.status), message: message)
        default:
            self = APIError(status: .internalServerError, type: "server_error", message: "internal error")
        }
    }

    init(llama error: LlamaError) {
        switch error {
        case .inputTooLong(let index, _, _), .emptyInput(let index):
            self = .invalidRequest(error.description, param: "input[\(index)]")
        case .promptTooLong, .tokenizationFailed, .invalidConfiguration, .chatTemplateUnavailable:
            self = .invalidRequest(error.description)
        case .overloaded:
            self = .overloaded(error.description, retryAfterSeconds: 1)
        case .shutDown:
            self = APIError(status: .serviceUnavailable, type: "service_unavailable", message: error.description)
        case .modelFileNotFound, .modelLoadFailed, .contextCreationFailed, .decodeFailed, .embeddingsUnavailable:
            self = APIError(status: .internalServerError, type: "server_error", message: error.description)
        }
    }

    static func type(for status: HTTPResponse.Status) -> String {
        switch status {
        case .notFound: "not_found_error"
        case .methodNotAllowed: "method_not_allowed"
        case .contentTooLarge: "request_too_large"
        case .serviceUnavailable: "service_unavailable"
        default: status.kind == .serverError ? "server_error" : "invalid_request_error"
        }
    }
}

/// Turns every error thrown below it — and unknown routes — into an `APIError` response, and logs
/// server-side failures.
public struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let apiError = APIError(error)
            // Shedding load is deliberate (the access line records it); failures are not.
            if apiError.status.kind == .serverError, apiError.type != "overloaded_error" {
                context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            }
            throw apiError
        }
    }
}

/// A model service (embedding or generator) that did not answer after retries.
public struct UpstreamUnavailable: Error, Sendable, CustomStringConvertible {
    public var service: String
    public var url: String
    public var reason: String

    public init(service: String, url: String, reason: String) {
        self.service = service
        self.url = url
        self.reason = reason
    }

    public var description: String { "the \(service) service at \(url) is unavailable: \(reason)" }

    /// What a caller is told: which service, not where it runs or why it failed.
    public var publicMessage: String { "the \(service) service is unavailable; try again shortly" }
}

/// A model service refused a request this service built (HTTP 4xx): not the caller's fault, so it
/// is answered 502 rather than passed on as the caller's own 400.
public struct UpstreamRejected: Error, Sendable, CustomStringConvertible {
    public var service: String
    public var status: Int
    /// The model service's own message.
    public var reason: String

    public init(service: String, status: Int, reason: String) {
        self.service = service
        self.status = status
        self.reason = reason
    }

    public var description: String { "the \(service) service refused a request built for it (HTTP \(status)): \(reason)" }
}

extension HTTPResponse.Status {
    /// 499, nginx's status for a request whose client left before its response (logged, never sent).
    public static let clientClosedRequest = HTTPResponse.Status(code: 499, reasonPhrase: "Client Closed Request")
}

/// The body of every error answer, and of the error event that ends a failed event stream:
/// OpenAI's `{"error": {"message", "type", "param", "code"}}`.
public struct ErrorBody: Codable, Sendable, Equatable {
    public struct Detail: Codable, Sendable, Equatable {
        public var message: String
        /// `invalid_request_error`, `not_found_error`, `service_unavailable`, `server_error`, …
        public var type: String
        /// The request field at fault, when one is.
        public var param: String?
        public var code: String?

        public init(message: String, type: String, param: String? = nil, code: String? = nil) {
            self.message = message
            self.type = type
            self.param = param
            self.code = code
        }
    }

    public var error: Detail

    public init(error: Detail) {
        self.error = error
    }
}

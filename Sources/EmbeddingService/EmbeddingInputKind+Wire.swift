import GuicheAPI
import LlamaRuntime
import ServiceSupport

extension EmbeddingInputKind {
    /// `/embed`'s Portuguese field `tipo`: `consulta` or `documento`.
    init(tipo: String) throws {
        switch tipo {
        case "consulta": self = .query
        case "documento": self = .document
        default: throw APIError.invalidRequest("'tipo' must be \"consulta\" or \"documento\", got \"\(tipo)\"", param: "tipo")
        }
    }

    /// `/v1/embeddings`' `input_type`.
    init(_ inputType: OpenAIEmbeddingRequest.InputType) {
        switch inputType {
        case .query: self = .query
        case .document: self = .document
        }
    }
}

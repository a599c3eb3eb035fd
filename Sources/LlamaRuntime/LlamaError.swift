/// Every failure of the llama.cpp layer, with what a caller needs to report it.
public enum LlamaError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The model file does not exist or cannot be read.
    case modelFileNotFound(path: String)
    /// llama.cpp refused to load the file (corrupt, truncated or not a GGUF model).
    case modelLoadFailed(path: String)
    /// llama.cpp could not create an inference context (usually: not enough memory for the KV cache).
    case contextCreationFailed(reason: String)
    /// `llama_tokenize` reported an overflow or an invalid input.
    case tokenizationFailed(reason: String)
    /// An input is longer than what the model or the configured context can read.
    case inputTooLong(index: Int, tokens: Int, limit: Int)
    /// A prompt leaves no room to generate in a sequence's context.
    case promptTooLong(tokens: Int, limit: Int)
    /// The input was empty where text is required.
    case emptyInput(index: Int)
    /// The GGUF carries no chat template, or llama.cpp does not know it.
    case chatTemplateUnavailable(reason: String)
    /// `llama_decode` / `llama_encode` returned an error code.
    case decodeFailed(code: Int32, meaning: String)
    /// The model gives no embeddings (wrong kind of model or pooling).
    case embeddingsUnavailable(reason: String)
    /// A configuration value is out of range.
    case invalidConfiguration(String)
    /// Every sequence is busy and the waiting queue is full.
    case overloaded(queued: Int)
    /// The engine has been shut down.
    case shutDown

    public var description: String {
        switch self {
        case .modelFileNotFound(let path): "model file not found: \(path) (expected a GGUF file)"
        case .modelLoadFailed(let path): "llama.cpp could not load \(path): not a valid GGUF model, or it is corrupt or truncated"
        case .contextCreationFailed(let reason): "could not create a llama.cpp context: \(reason)"
        case .tokenizationFailed(let reason): "tokenization failed: \(reason)"
        case .inputTooLong(let index, let tokens, let limit): "input \(index) has \(tokens) tokens; the model reads at most \(limit)"
        case .promptTooLong(let tokens, let limit): "prompt has \(tokens) tokens; the context holds at most \(limit) per sequence, including the answer"
        case .emptyInput(let index): "input \(index) is empty"
        case .chatTemplateUnavailable(let reason): "chat template unavailable: \(reason)"
        case .decodeFailed(let code, let meaning): "llama_decode failed with code \(code): \(meaning)"
        case .embeddingsUnavailable(let reason): "embeddings unavailable: \(reason)"
        case .invalidConfiguration(let message): "invalid configuration: \(message)"
        case .overloaded(let queued): "all sequences are busy and \(queued) requests are already waiting; try again shortly"
        case .shutDown: "the inference engine has shut down"
        }
    }

    /// Maps a `llama_decode` return code to an error (nil for success).
    static func decode(code: Int32) -> LlamaError? {
        switch code {
        case 0: nil
        case 1: .decodeFailed(code: code, meaning: "no room in the KV cache for this batch")
        case 2: .decodeFailed(code: code, meaning: "aborted")
        case -1: .decodeFailed(code: code, meaning: "invalid input batch")
        default: .decodeFailed(code: code, meaning: "fatal error inside llama.cpp")
        }
    }
}

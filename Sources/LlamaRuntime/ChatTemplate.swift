import CLlama
import Foundation

/// One message of a conversation.
public struct ChatMessage: Sendable, Hashable, Codable {
    /// `system`, `user` or `assistant`.
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    public static func system(_ content: String) -> ChatMessage { .init(role: "system", content: content) }
    public static func user(_ content: String) -> ChatMessage { .init(role: "user", content: content) }
    public static func assistant(_ content: String) -> ChatMessage { .init(role: "assistant", content: content) }
}

extension LlamaModel {
    /// The chat template stored in the GGUF (`tokenizer.chat_template`), if any.
    public var chatTemplate: String? {
        guard let template = llama_model_chat_template(pointer, nil) else { return nil }
        return String(cString: template)
    }

    /// Renders `messages` with the model's own chat template, ending with the assistant's turn
    /// opener when `addAssistantTurn` is true. Never falls back to hard-coded tags.
    public func applyChatTemplate(_ messages: [ChatMessage], addAssistantTurn: Bool = true) throws(LlamaError) -> String {
        guard let template = chatTemplate else {
            throw .chatTemplateUnavailable(reason: "\(name) has no tokenizer.chat_template in its GGUF")
        }
        // llama_chat_message holds borrowed C strings: keep copies alive for the call.
        let roles = messages.map { strdup($0.role) }
        let contents = messages.map { strdup($0.content) }
        defer {
            roles.forEach { free($0) }
            contents.forEach { free($0) }
        }
        let cMessages = zip(roles, contents).map { llama_chat_message(role: $0, content: $1) }
        var capacity = max(1024, messages.reduce(0) { $0 + $1.content.utf8.count + $1.role.utf8.count } * 2)
        while true {
            var buffer = [CChar](repeating: 0, count: capacity)
            let written = llama_chat_apply_template(template, cMessages, cMessages.count, addAssistantTurn, &buffer, Int32(capacity))
            if written < 0 {
                throw .chatTemplateUnavailable(reason: "llama.cpp does not support the chat template of \(name)")
            }
            if Int(written) > capacity {
                capacity = Int(written)
                continue
            }
            return String(decoding: buffer.prefix(Int(written)).map(UInt8.init(bitPattern:)), as: UTF8.self)
        }
    }
}

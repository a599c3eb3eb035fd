import Foundation
import LlamaRuntime
import Testing
import TestSupport

@Suite("Model loading, tokenizer and chat template")
struct ModelTests {
    @Test("a missing model file is a typed error naming the path")
    func missingFile() {
        #expect(throws: LlamaError.modelFileNotFound(path: "/nonexistent/model.gguf")) {
            try LlamaModel(path: "/nonexistent/model.gguf")
        }
    }

    @Test("a corrupt model file is a typed error, not a crash")
    func corruptFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("corrupt-\(UUID()).gguf")
        try Data("GGUF this is not really a model".utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(throws: LlamaError.modelLoadFailed(path: url.path)) { try LlamaModel(path: url.path) }
    }

    @Test("metadata of the real models")
    func metadata() {
        #expect(TestModels.chat.isGenerative)
        #expect(!TestModels.embedding.isGenerative)
        #expect(TestModels.chat.trainedContextLength == 32768)
        #expect(TestModels.embedding.embeddingDimensions == 384)
        #expect(TestModels.embedding.trainedContextLength == 512)
        #expect(TestModels.embedding.metadata("general.architecture") == "bert")
        #expect(TestModels.embedding.metadata("no.such.key") == nil)
    }

    @Test("Portuguese with accents survives a tokenize/detokenize round trip", arguments: [
        "Qual o procedimento para renovação da CNH?",
        "Ação, coração, exceção, pêssego, índice, útil, órgão, açúcar, à, è, ü.",
        "§ 2º O exame de aptidão física e mental — art. 147, inciso II; R$ 150,00.",
        "Emoji e símbolos: 🚗 ✅ “aspas” ‘simples’ … nº 789/2020",
    ])
    func roundTrip(text: String) throws {
        let model = TestModels.chat
        let tokens = try model.tokenize(text, addSpecial: false)
        #expect(!tokens.isEmpty)
        #expect(model.detokenize(tokens) == text)
        // Piece by piece, the bytes also reassemble exactly (characters may straddle tokens).
        let bytes = tokens.flatMap { model.piece(of: $0) }
        #expect(String(decoding: bytes, as: UTF8.self) == text)
    }

    @Test("special tokens are parsed only when asked")
    func specialTokens() throws {
        let model = TestModels.chat
        let parsed = try model.tokenize("<|im_end|>", addSpecial: false, parseSpecial: true)
        let literal = try model.tokenize("<|im_end|>", addSpecial: false, parseSpecial: false)
        #expect(parsed.count == 1)
        #expect(model.isEndOfGeneration(parsed[0]))
        #expect(literal.count > 1)
    }

    @Test("the Qwen chat template from the GGUF is applied")
    func chatTemplate() throws {
        let model = TestModels.chat
        let template = try #require(model.chatTemplate)
        #expect(template.contains("im_start"))
        let prompt = try model.applyChatTemplate([.system("Você é um atendente do DETRAN."), .user("Como renovo a CNH?")])
        #expect(prompt == "<|im_start|>system\nVocê é um atendente do DETRAN.<|im_end|>\n<|im_start|>user\nComo renovo a CNH?<|im_end|>\n<|im_start|>assistant\n")
        let withoutTurn = try model.applyChatTemplate([.user("Oi")], addAssistantTurn: false)
        #expect(!withoutTurn.hasSuffix("<|im_start|>assistant\n"))
    }

    @Test("a model without a chat template is a clear error")
    func noChatTemplate() {
        #expect(throws: LlamaError.self) { try TestModels.embedding.applyChatTemplate([.user("Oi")]) }
    }
}

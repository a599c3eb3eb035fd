import Foundation
import LlamaRuntime
import Testing
import TestSupport

/// The GGUF made by scripts/convert_bert_to_gguf.py against an independent reference: HF's own
/// tokenizer and a numpy forward pass of the original safetensors (scripts/reference_minilm.py).
@Suite("BERT → GGUF converter proof")
struct ConverterProofTests {
    struct Reference: Decodable {
        struct Sentence: Decodable {
            var text: String
            var tokens: [Int32]
            var embedding: [Float]
        }
        var sentences: [Sentence]
    }

    let reference: Reference

    init() throws {
        reference = try JSONDecoder().decode(Reference.self, from: TestModels.fixture("minilm-reference.json"))
    }

    @Test("the reference covers at least 20 Portuguese and English sentences")
    func referenceSize() {
        #expect(reference.sentences.count >= 20)
        #expect(reference.sentences.contains { $0.text.contains("ção") })
        #expect(reference.sentences.contains { $0.text.hasPrefix("How") })
    }

    @Test("llama.cpp's WordPiece tokenizer gives HF's token ids")
    func tokenIdsMatch() throws {
        for sentence in reference.sentences {
            let tokens = try TestModels.embedding.tokenize(sentence.text, addSpecial: true)
            #expect(tokens == sentence.tokens, "\(sentence.text)")
        }
    }

    @Test("GGUF embeddings match the numpy reference (cosine >= 0.999)")
    func embeddingsMatch() async throws {
        let vectors = try await TestModels.embedder.embed(reference.sentences.map(\.text))
        for (sentence, vector) in zip(reference.sentences, vectors) {
            let similarity = cosine(vector, sentence.embedding)
            #expect(similarity >= 0.999, "\(sentence.text): cosine \(similarity)")
        }
    }
}

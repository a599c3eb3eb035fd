import Foundation
import LlamaRuntime

/// What the RAG core needs from a chat model, in-process or behind the generator service.
public protocol TextGeneration: Sendable {
    /// Streams the assistant's answer to `messages`, rendered with the model's own chat template.
    func stream(messages: [ChatMessage], parameters: SamplingParameters) async throws -> AsyncThrowingStream<GenerationEvent, Error>
}

/// The chat model in this process.
public struct LocalGeneration: TextGeneration {
    public let generator: Generator

    public init(generator: Generator) {
        self.generator = generator
    }

    public func stream(messages: [ChatMessage], parameters: SamplingParameters) async throws -> AsyncThrowingStream<GenerationEvent, Error> {
        try generator.stream(messages: messages, parameters: parameters)
    }
}

/// An answer with the sources it was grounded in.
public struct Answer: Sendable {
    public var text: String
    public var sources: [RetrievedSource]
    /// True when the evidence was too weak and the fixed refusal was returned without generating.
    public var refused: Bool
    public var timings: Timings

    public struct Timings: Sendable {
        /// Embedding the question and searching (`embedding` included).
        public var retrieval: Duration
        /// Embedding the question, as the retriever waited for it.
        public var embedding: Duration
        /// From retrieval's end to the first text.
        public var timeToFirstToken: Duration?
        /// From retrieval's end to the answer's end.
        public var generation: Duration
        /// Time the models spent: embedding the question plus the generator's own account of the
        /// generation (queueing, prompt, decoding); the rest of the answer's time is overhead.
        public var model: Duration
    }
}

/// Answers questions from the indexed documents: retrieves, refuses when the best evidence is
/// below the threshold, otherwise asks the chat model with the numbered sources.
public struct Answerer: Sendable {
    public struct Settings: Sendable {
        /// The pt-BR instructions given to the model.
        public var systemPrompt: String
        /// `TOP_K_RESULTS`: sources given to the model.
        public var topK: Int
        /// Below this cosine similarity between the question and its best passage, refuse.
        public var refusalThreshold: Float
        public var sampling: SamplingParameters

        public init(
            systemPrompt: String = Answerer.defaultSystemPrompt, topK: Int = 4, refusalThreshold: Float = Answerer.defaultRefusalThreshold,
            sampling: SamplingParameters = .greedy(maxTokens: 384)
        ) {
            self.systemPrompt = systemPrompt
            self.topK = topK
            self.refusalThreshold = refusalThreshold
            self.sampling = sampling
        }
    }

    public static let refusal = "Não encontrei essa informação nos documentos disponíveis."

    public static let defaultSystemPrompt = """
        Você é o assistente de atendimento de uma autoescola e responde dúvidas de cidadãos sobre \
        habilitação, CNH e regras do DETRAN. Responda em português do Brasil usando somente as \
        informações do contexto numerado. Dê a resposta completa: quando houver etapas, \
        documentos ou valores, liste todos. Cite as fontes usadas no formato [n]. Se a resposta \
        não estiver no contexto, diga exatamente: "\(refusal)"
        """

    /// Calibrated for multilingual-e5-small-pt on the retrieval check (see Tests/RAGCoreTests/RetrievalTests.swift).
    public static let defaultRefusalThreshold: Float = 0.83

    public let retriever: Retriever
    public let generation: any TextGeneration
    public let settings: Settings

    public init(retriever: Retriever, generation: any TextGeneration, settings: Settings = .init()) {
        self.retriever = retriever
        self.generation = generation
        self.settings = settings
    }

    /// Sources for `question` and whether they are strong enough to answer from.
    public func sources(for question: String, topK: Int? = nil) async throws -> (sources: [RetrievedSource], answerable: Bool) {
        var embeddingTime = Duration.zero
        return try await sources(for: question, topK: topK, embeddingTime: &embeddingTime)
    }

    private func sources(
        for question: String, topK: Int?, embeddingTime: inout Duration
    ) async throws -> (sources: [RetrievedSource], answerable: Bool) {
        let wanted = topK ?? settings.topK
        let sources = try await retriever.retrieve(question, topK: wanted, embeddingTime: &embeddingTime)
        let best = sources.map(\.similarity).max() ?? 0
        return (Self.withinChunkBudget(sources, chunks: wanted), best >= settings.refusalThreshold)
    }

    /// The best sources holding at most `chunks` chunks in all (at least one source): a source
    /// that absorbed its neighbours counts for each, so the prompt stays about `TOP_K_RESULTS`
    /// chunks long however retrieval merged them.
    static func withinChunkBudget(_ sources: [RetrievedSource], chunks budget: Int) -> [RetrievedSource] {
        var used = 0
        var kept: [RetrievedSource] = []
        for source in sources {
            guard kept.isEmpty || used + source.chunkIDs.count <= budget else { break }
            used += source.chunkIDs.count
            kept.append(source)
        }
        return kept
    }

    /// The chat messages for `question` with `sources` numbered [1], [2], …
    public func messages(question: String, sources: [RetrievedSource]) -> [ChatMessage] {
        let context = sources.enumerated().map { index, source in
            let location = source.location.isEmpty ? "" : ", \(source.location)"
            return "[\(index + 1)] \(source.documentTitle) (\(source.documentPath)\(location))\n\(source.text)"
        }.joined(separator: "\n\n")
        return [.system(settings.systemPrompt), .user("Contexto:\n\(context)\n\nPergunta: \(question)")]
    }

    /// Streams the answer: the sources first, then text pieces. A refusal is one piece.
    public func stream(question: String, topK: Int? = nil) async throws -> (sources: [RetrievedSource], refused: Bool, text: AsyncThrowingStream<GenerationEvent, Error>) {
        var embeddingTime = Duration.zero
        return try await stream(question: question, topK: topK, embeddingTime: &embeddingTime)
    }

    private func stream(
        question: String, topK: Int?, embeddingTime: inout Duration
    ) async throws -> (sources: [RetrievedSource], refused: Bool, text: AsyncThrowingStream<GenerationEvent, Error>) {
        let (sources, answerable) = try await self.sources(for: question, topK: topK, embeddingTime: &embeddingTime)
        guard answerable else {
            let (stream, continuation) = AsyncThrowingStream<GenerationEvent, Error>.makeStream()
            continuation.yield(.text(Self.refusal))
            continuation.finish()
            return ([], true, stream)
        }
        return (sources, false, try await generation.stream(messages: messages(question: question, sources: sources), parameters: settings.sampling))
    }

    /// The whole answer.
    public func answer(question: String, topK: Int? = nil) async throws -> Answer {
        let start = ContinuousClock.now
        var embeddingTime = Duration.zero
        let (sources, refused, stream) = try await stream(question: question, topK: topK, embeddingTime: &embeddingTime)
        let retrieved = ContinuousClock.now
        var text = ""
        var firstToken: ContinuousClock.Instant?
        var generatorTime = Duration.zero
        for try await event in stream {
            switch event {
            case .text(let piece):
                if firstToken == nil { firstToken = .now }
                text += piece
            case .finished(let summary):
                generatorTime = summary.totalTime
            }
        }
        let end = ContinuousClock.now
        return Answer(
            text: text.trimmingCharacters(in: .whitespacesAndNewlines), sources: sources, refused: refused,
            timings: .init(
                retrieval: retrieved - start, embedding: embeddingTime, timeToFirstToken: firstToken.map { $0 - retrieved },
                generation: end - retrieved, model: embeddingTime + generatorTime))
    }
}

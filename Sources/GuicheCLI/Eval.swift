import ArgumentParser
import AsyncHTTPClient
import Evaluation
import Foundation
import Logging
import RAGCore
import RAGService

/// `guiche eval`: runs question sets against a collection and reports retrieval and answer quality.
struct Eval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure retrieval and answers on question sets (JSONL; see README, \"guiche eval\").",
        discussion: """
            Each line: {"pergunta": "...", "esperado": {"documento": "lei.htm", "artigos": ["Art. 42"]}, \
            "fatos": ["16 anos"], "fora_do_escopo": false}. With --data the folder is indexed into a collection \
            of its own (eval-<folder>-<hash of its path>), never into COLLECTION_NAME. Exits non-zero when a --min/--max threshold is missed.

            """ + environmentHelp)

    @OptionGroup var models: ModelOptions
    @OptionGroup var rag: RAGOptions

    @Argument(help: "Question files (JSONL).")
    var questionFiles: [String] = []

    @Option(name: .customLong("data"), help: "Folder of the documents the questions are about (indexed into collection eval-<folder>-<hash of its path>).")
    var evalData: String?

    @Option(help: "A SQuAD v1.1 file (e.g. FaQuAD's faquad_train.json): its paragraphs become the documents, its answers the expected passages.")
    var faquad: String?

    @Option(help: "A running rag service to evaluate instead of this process (e.g. http://localhost:8000).")
    var url: String?

    @Option(help: "Sources ranked per question (hit@k counts within them).")
    var depth = 5

    @Flag(help: "Only retrieval: no answers are generated.")
    var retrievalOnly = false

    @Flag(help: "Print the report as JSON.")
    var json = false

    @Option(help: "Fail when hit@1 is below this.") var minHit1: Double?
    @Option(help: "Fail when hit@3 is below this.") var minHit3: Double?
    @Option(help: "Fail when hit@5 is below this.") var minHit5: Double?
    @Option(help: "Fail when MRR is below this.") var minMrr: Double?
    @Option(help: "Fail when key-fact accuracy is below this.") var minFacts: Double?
    @Option(help: "Fail when refusal precision is below this.") var minRefusalPrecision: Double?
    @Option(help: "Fail when refusal recall is below this.") var minRefusalRecall: Double?
    @Option(help: "Fail when the share of answers with an unsupported figure is above this.") var maxUnsupported: Double?
    @Option(help: "Fail when the share of in-scope questions refused is above this.") var maxRefusedInScope: Double?

    func validate() throws {
        if !(1...20).contains(depth) { throw ValidationError("--depth must be within 1...20, got \(depth)") }
        if questionFiles.isEmpty && faquad == nil { throw ValidationError("give a question file (JSONL) or --faquad FILE") }
        if url != nil && (evalData != nil || faquad != nil) {
            throw ValidationError("--url evaluates a running service over its own documents: --data and --faquad do not apply")
        }
        for (name, value) in [("--min-hit1", minHit1), ("--min-hit3", minHit3), ("--min-hit5", minHit5), ("--min-mrr", minMrr),
                              ("--min-facts", minFacts), ("--min-refusal-precision", minRefusalPrecision),
                              ("--min-refusal-recall", minRefusalRecall), ("--max-unsupported", maxUnsupported),
                              ("--max-refused-in-scope", maxRefusedInScope)] {
            if let value, !(0...1).contains(value) { throw ValidationError("\(name) must be within 0...1, got \(value)") }
        }
    }

    /// The collection a data folder is indexed into: named after the folder, told apart by its
    /// path ("eval/ctb/dados" and "eval/renainf/dados" are two collections, not one that each run
    /// would empty of the other's documents).
    static func collection(forData folder: String) -> String {
        let url = URL(fileURLWithPath: folder).standardizedFileURL
        return "eval-\(url.lastPathComponent)-\(ContentHash.sha256(Data(url.path.utf8)).prefix(8))"
    }

    func run() async throws {
        var questions: [EvalQuestion] = []
        for file in questionFiles { questions += try EvalQuestion.load(file) }
        let config = try await GuicheConfiguration.load()
        var settings = try rag.resolve(config)
        if let faquad {
            let set = try FaQuAD.load(faquad)
            questions += set.questions
            settings.dataDirectory = try Self.writeDocuments(set.documents, under: settings.databaseDirectory)
            settings.collection = "eval-faquad"
        }
        if let evalData {
            guard FileManager.default.fileExists(atPath: evalData) else { throw ValidationError("data folder \(evalData) does not exist") }
            settings.dataDirectory = evalData
            settings.collection = Self.collection(forData: evalData)
        }
        let report: EvalReport
        if let url {
            let client = RAGServiceTarget(baseURL: url)
            report = try await evaluate(questions, on: client)
            try await client.shutdown()
        } else {
            var logger = Logger(label: "guiche.eval")
            logger.logLevel = .warning
            let models = try models.resolve(config)
            report = try await settings.withStores(logger: logger) { stores in
                let chatbot = try Chatbot.make(
                    models: models, rag: settings, store: stores.index, parallel: 1, logger: logger, loadChatModel: !retrievalOnly)
                return try await evaluate(questions, chatbot: chatbot, settings: settings)
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(EvalText.summary(report))
        }
        let misses = thresholds.misses(report.summary)
        if !misses.isEmpty {
            FileHandle.standardError.write(Data(("thresholds missed:\n" + misses.map { "  \($0)" }.joined(separator: "\n") + "\n").utf8))
            throw ExitCode(1)
        }
    }

    /// Indexes the data folder into the collection and runs `questions` against it in-process.
    private func evaluate(_ questions: [EvalQuestion], chatbot: Chatbot, settings: RAGSettings) async throws -> EvalReport {
        let ingest = try await chatbot.knowledge.ingest()
        if !ingest.failed.isEmpty {
            for failure in ingest.failed { FileHandle.standardError.write(Data("failed: \(failure.path): \(failure.reason)\n".utf8)) }
        }
        let indexed = try await chatbot.knowledge.documents().map { EvalSource(document: $0.path, title: $0.title, location: "", text: "") }
        let missing = Set(questions.compactMap(\.expected?.document).filter { name in !indexed.contains { EvalScoring.isDocument(name, $0) } })
        for name in missing.sorted() {
            FileHandle.standardError.write(Data("warning: expected document '\(name)' is not in \(settings.dataDirectory): its questions cannot hit\n".utf8))
        }
        if !retrievalOnly, let calibration = try await chatbot.knowledge.refusalCalibration() {
            FileHandle.standardError.write(Data("\(describe(calibration))\n".utf8))
        }
        return try await evaluate(questions, on: KnowledgeBaseTarget(knowledge: chatbot.knowledge))
    }

    private func evaluate(_ questions: [EvalQuestion], on target: any EvalTarget) async throws -> EvalReport {
        let quiet = json
        return try await EvalRunner(target: target, depth: depth, retrievalOnly: retrievalOnly).run(questions) { result in
            if !quiet { print(EvalText.line(result)) }
        }
    }

    var thresholds: EvalThresholds {
        EvalThresholds(
            hit1: minHit1, hit3: minHit3, hit5: minHit5, mrr: minMrr, facts: minFacts, refusalPrecision: minRefusalPrecision,
            refusalRecall: minRefusalRecall, unsupported: maxUnsupported, refusedInScope: maxRefusedInScope)
    }

    /// Writes FaQuAD's articles as text files under `directory`/eval-faquad-docs (rewritten only
    /// when changed, so the index stays warm between runs).
    static func writeDocuments(_ documents: [(name: String, text: String)], under directory: String) throws -> String {
        let folder = (directory as NSString).appendingPathComponent("eval-faquad-docs")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (name, text) in documents {
            let path = (folder as NSString).appendingPathComponent(name)
            if (try? String(contentsOfFile: path, encoding: .utf8)) != text { try text.write(toFile: path, atomically: true, encoding: .utf8) }
        }
        return folder
    }
}

/// A running rag service, through `POST /search` and `POST /chat`.
struct RAGServiceTarget: EvalTarget {
    let baseURL: String
    let client = HTTPClient(eventLoopGroupProvider: .singleton)

    init(baseURL: String) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
    }

    func shutdown() async throws { try await client.shutdown() }

    private func post<Body: Encodable, Reply: Decodable>(_ path: String, _ body: Body, as: Reply.Type) async throws -> Reply {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(try JSONEncoder().encode(body))
        let response = try await client.execute(request, timeout: .seconds(600))
        let data = Data(buffer: try await response.body.collect(upTo: 16 << 20))
        guard response.status == .ok else {
            throw ValidationError("\(baseURL)\(path) answered \(response.status.code): \(String(decoding: data, as: UTF8.self))")
        }
        return try JSONDecoder().decode(Reply.self, from: data)
    }

    private static func source(_ fonte: Fonte) -> EvalSource {
        EvalSource(document: fonte.documento, title: fonte.titulo, location: fonte.localizacao, text: fonte.trecho)
    }

    func retrieve(_ question: String, topK: Int) async throws -> (sources: [EvalSource], time: Duration) {
        let reply = try await post("/search", SearchRequest(pergunta: question, topK: topK), as: SearchResponse.self)
        return (reply.fontes.map(Self.source), .milliseconds(reply.buscaMs))
    }

    func answer(_ question: String) async throws -> EvalAnswer {
        let reply = try await post("/chat", ["pergunta": question], as: ChatResponse.self)
        let quoted = reply.fontes.flatMap { $0.citados ?? [] }.map { "\($0.citacao): \($0.texto)" }
        return EvalAnswer(
            text: reply.resposta, refused: reply.recusada || EvalScoring.isRefusal(reply.resposta),
            sources: reply.fontes.map(Self.source), evidence: quoted, mode: reply.modo?.rawValue,
            firstToken: reply.tempos.primeiroToken.map { .milliseconds($0) }, generation: .milliseconds(reply.tempos.geracao))
    }
}

/// The report as text.
enum EvalText {
    static func line(_ result: QuestionResult) -> String {
        let mark: String
        if result.outOfScope {
            mark = result.refused.map { $0 ? "ok  " : "NÃO RECUSOU" } ?? "fora"
        } else {
            mark = result.rank.map { "@\($0)  " } ?? "--  "
        }
        var text = "\(mark) \(result.id) \(result.question.prefix(70))"
        if let missing = result.missingFacts, !missing.isEmpty { text += "\n      faltam: \(missing.joined(separator: "; "))" }
        if result.refused == true && !result.outOfScope { text += "\n      recusou" }
        if let figures = result.unsupportedFigures, !figures.isEmpty { text += "\n      números sem fonte: \(figures.joined(separator: ", "))" }
        if result.rank == nil && !result.outOfScope, let first = result.sources.first { text += "\n      1ª fonte: \(first)" }
        return text
    }

    static func summary(_ report: EvalReport) -> String {
        let s = report.summary
        func pct(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "—" }
        func ms(_ latency: EvalReport.Latency?) -> String { latency.map { String(format: "p50 %.0f ms, p95 %.0f ms", $0.p50, $0.p95) } ?? "—" }
        var lines = [
            "",
            "questions: \(s.questions) (\(s.ranked) with an expected location)",
            "hit@1 \(pct(s.hit1))  hit@3 \(pct(s.hit3))  hit@5 \(pct(s.hit5))  MRR \(pct(s.mrr))",
            "retrieval: \(ms(s.retrieval))",
        ]
        if !s.hit5ByKind.isEmpty {
            lines.insert("hit@5 by kind: " + s.hit5ByKind.sorted { $0.key < $1.key }.map { "\($0.key) \(pct($0.value))" }.joined(separator: ", "), at: 3)
        }
        if !report.retrievalOnly {
            lines += [
                "key facts: \(pct(s.factAccuracy))  refusal precision: \(pct(s.refusalPrecision))  recall: \(pct(s.refusalRecall))"
                    + "  in-scope refused: \(pct(s.refusedInScope))",
                "answers by mode: " + (s.modes ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "),
                "answers with an unsupported figure: \(pct(s.unsupportedShare))",
                "first token: \(ms(s.firstToken))  generation: \(ms(s.generation))",
            ]
        }
        return lines.joined(separator: "\n")
    }
}

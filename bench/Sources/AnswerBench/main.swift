// `answer-bench CHAT.gguf E5.gguf DATA_DIR QUESTIONS.jsonl N`: time to first token and whole-answer
// time of the chatbot on a real statute, before and after grounded answers, in one run on one
// machine. DATA_DIR is indexed once; the first N in-scope questions of QUESTIONS.jsonl are asked
// both ways, alternating:
//   before — the answer as it was made until commit a54541c: the retrieved passages (TOP_K_RESULTS
//            = 4 chunks) numbered in the prompt under the old system prompt, up to 384 tokens;
//   after  — `Answerer` as configured by default (extractive: the evidence quoted, the chat model
//            not called) and with `ANSWER_MODE=gerada` (the evidence units only in the prompt, one
//            worked example, up to 160 tokens, each sentence verified, the evidence quoted); both
//            refuse without the model when the evidence does not answer.
// Both use the same generator (one sequence, greedy, prompt cache off so that every prompt is
// computed in full) and the same retrieval. Prints a Markdown table.
import DocumentIngestion
import Foundation
import LlamaRuntime
import Logging
import RAGCore

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count == 5, let count = Int(arguments[4]) else {
    FileHandle.standardError.write(Data("usage: answer-bench CHAT.gguf E5.gguf DATA_DIR QUESTIONS.jsonl N\n".utf8))
    exit(2)
}
let threads = Int(ProcessInfo.processInfo.environment["N_THREADS"] ?? "") ?? 2
let embedding = LocalEmbedding(embedder: try Embedder(model: try LlamaModel(path: arguments[1]), configuration: .init(threads: threads)))
let generator = try Generator(
    model: try LlamaModel(path: arguments[0]),
    configuration: .init(parallelSequences: 1, contextPerSequence: 4096, threads: threads, reusePromptPrefix: false))
let generation = LocalGeneration(generator: generator)
let folder = FileManager.default.temporaryDirectory.appendingPathComponent("answer-bench-\(UUID())")
try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: folder) }
let store = try SQLiteIndexStore(path: folder.appendingPathComponent("bench.sqlite").path)
let indexer = Indexer(
    dataDirectory: URL(fileURLWithPath: arguments[2]), store: store, embedding: embedding, chunkSize: 300, chunkOverlap: 50, batchSize: 32,
    logger: Logger(label: "bench"))
let knowledge = KnowledgeBase(
    store: store, embedding: embedding, generation: generation, indexer: indexer, vocabulary: try Vocabulary.builtIn(), settings: .init())
_ = try await knowledge.ingest()
/// The same collection answered with the chat model in the loop (`ANSWER_MODE=gerada`).
let answerer = await knowledge.answerer
let policy = await answerer.refusalPolicy()
let generative = Answerer(
    retriever: answerer.retriever, generation: generation, selector: answerer.selector, settings: .init(extractiveOnly: false),
    calibration: CalibrationStore(policy))

let questions = try String(contentsOfFile: arguments[3], encoding: .utf8).split(separator: "\n").compactMap { line -> String? in
    guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
          object["fora_do_escopo"] as? Bool != true else { return nil }
    return object["pergunta"] as? String
}.prefix(count)

/// The system prompt until commit a54541c.
let beforeSystemPrompt = """
    Você é o assistente de atendimento de uma autoescola e responde dúvidas de cidadãos sobre \
    habilitação, CNH e regras do DETRAN. Responda em português do Brasil usando somente as \
    informações do contexto numerado. Dê a resposta completa: quando houver etapas, \
    documentos ou valores, liste todos. Cite as fontes usadas no formato [n]. Se a resposta \
    não estiver no contexto, diga exatamente: "Não encontrei essa informação nos documentos disponíveis."
    """

struct Timing {
    var firstToken: Double
    var total: Double
    var promptTokens: Int
}

func milliseconds(_ duration: Duration) -> Double { Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) * 1e-15 }

/// The answer as it was made before: the passages (at most 4 chunks) in the prompt.
func before(_ question: String) async throws -> Timing {
    let start = ContinuousClock.now
    var sources: [RetrievedSource] = []
    var chunks = 0
    for source in try await answerer.retriever.retrieve(question, topK: 4) where sources.isEmpty || chunks + source.chunkIDs.count <= 4 {
        sources.append(source)
        chunks += source.chunkIDs.count
    }
    let context = sources.enumerated().map { index, source in
        "[\(index + 1)] \(source.documentTitle) (\(source.documentPath), \(source.location))\n\(source.text)"
    }.joined(separator: "\n\n")
    let messages: [ChatMessage] = [.system(beforeSystemPrompt), .user("Contexto:\n\(context)\n\nPergunta: \(question)")]
    var first: Double?
    var tokens = 0
    for try await event in try await generation.stream(messages: messages, parameters: .greedy(maxTokens: 384)) {
        switch event {
        case .text: if first == nil { first = milliseconds(ContinuousClock.now - start) }
        case .finished(let summary): tokens = summary.usage.promptTokens
        }
    }
    let total = milliseconds(ContinuousClock.now - start)
    return Timing(firstToken: first ?? total, total: total, promptTokens: tokens)
}

/// The answer as `answerer` makes it now; first token is the first text the citizen sees.
func after(_ question: String, _ answerer: Answerer) async throws -> (Timing, AnswerMode) {
    let start = ContinuousClock.now
    let stream = try await answerer.stream(question: question)
    var first: Double?
    var mode = AnswerMode.refusal
    var tokens = 0
    for try await event in stream.events {
        switch event {
        case .text: if first == nil { first = milliseconds(ContinuousClock.now - start) }
        case .finished(let finished, let summary):
            mode = finished
            tokens = summary?.usage.promptTokens ?? 0
        }
    }
    let total = milliseconds(ContinuousClock.now - start)
    return (Timing(firstToken: first ?? total, total: total, promptTokens: tokens), mode)
}

_ = try await before(questions.first!)  // warm up every path
_ = try await after(questions.first!, answerer)
_ = try await after(questions.first!, generative)
var olds: [Timing] = []
var extractive: [Timing] = []
var generated: [Timing] = []
var modes: [AnswerMode: Int] = [:]
for (index, question) in questions.enumerated() {
    // Rotate which goes first, so that none always runs on a warmer machine.
    for step in 0..<3 {
        switch (index + step) % 3 {
        case 0: olds.append(try await before(question))
        case 1: extractive.append(try await after(question, answerer).0)
        default:
            let (timing, mode) = try await after(question, generative)
            generated.append(timing)
            modes[mode, default: 0] += 1
        }
    }
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count.isMultiple(of: 2) ? (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2 : sorted[sorted.count / 2]
}

@MainActor func row(_ name: String, _ timings: [Timing]) -> String {
    let prompted = timings.filter { $0.promptTokens > 0 }.map { Double($0.promptTokens) }
    return String(format: "| %@ | %.0f ms (%.2f×) | %.0f ms (%.2f×) | %@ |", name,
                  median(timings.map(\.firstToken)), median(timings.map(\.firstToken)) / median(olds.map(\.firstToken)),
                  median(timings.map(\.total)), median(timings.map(\.total)) / median(olds.map(\.total)),
                  prompted.isEmpty ? "—" : String(format: "%.0f", median(prompted)))
}
print("| \(questions.count) questions, \(threads) threads | first text p50 (÷ before) | whole answer p50 (÷ before) | prompt tokens p50 |")
print("|---|---|---|---|")
print(row("before: passages in the prompt", olds))
print(row("after, extractive (default)", extractive))
print(row("after, `ANSWER_MODE=gerada`", generated))
print()
print("With the model: \(modes.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.value) \($0.key.rawValue)" }.joined(separator: ", ")). "
      + "First text = the first text the citizen sees (a verified sentence, or the quoted evidence when no sentence survives).")

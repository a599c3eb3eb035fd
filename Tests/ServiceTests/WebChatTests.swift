import Foundation
import GuicheAPI
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RAGCore
@testable import RAGService
import ServiceSupport
import Testing
import TestSupport

/// The web chat's server side: the page and its files, conversations with follow-up questions,
/// feedback and its export, the document view the citations open, and multi-turn OpenAI messages.
@Suite("web chat", .serialized)
struct WebChatTests {
    static func post(_ client: some TestClientProtocol, _ path: String, _ json: String) async throws -> TestResponse {
        try await client.execute(uri: path, method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: json)) { $0 }
    }

    static func object(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any])
    }

    @Test("GET / is the chat page, its files come from the server, under a content security policy")
    func page() async throws {
        try await RAGServiceTests.application().test(.router) { client in
            let page = try await client.execute(uri: "/", method: .get) { $0 }
            #expect(page.status == .ok)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(page.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
            let html = String(buffer: page.body)
            #expect(html.contains(#"<html lang="pt-BR">"#) && html.contains(#"<label for="pergunta">"#))
            #expect(!html.contains("http://") && !html.contains("https://"), "nothing from outside the server")
            for asset in ["/assets/chat.js", "/assets/chat.css"] {
                try await client.execute(uri: asset, method: .get) { #expect($0.status == .ok, "\(asset)") }
            }
            try await client.execute(uri: "/assets/nothing.js", method: .get) { #expect($0.status == .notFound) }
        }
    }

    @Test("a conversation makes a follow-up standalone, keeps its turns, and 404s when unknown")
    func conversation() async throws {
        _ = try await RAGServiceTests.knowledge.ingest()
        try await RAGServiceTests.application().test(.router) { client in
            let started = try await client.execute(uri: "/conversas", method: .post) { $0 }
            #expect(started.status == .created)
            let id = try #require(try Self.object(started)["id"] as? String)
            let first = try Self.object(try await Self.post(client, "/chat", #"{"pergunta": "Qual o procedimento para renovação da CNH?", "conversa": "\#(id)"}"#))
            #expect(first["pergunta_reformulada"] as? String == "Qual o procedimento para renovação da CNH?")
            let second = try Self.object(try await Self.post(client, "/chat", #"{"pergunta": "E quanto custa?", "conversa": "\#(id)"}"#))
            #expect(second["pergunta_reformulada"] as? String == "Quanto custa o procedimento para renovação da CNH?")
            let passages = (second["fontes"] as? [[String: Any]] ?? []).compactMap { $0["trecho"] as? String }.joined(separator: "\n")
            #expect(FactNormalizer.contains(passages, fact: "135,50"), "the renewal fee is among the follow-up's sources")
            let stream = try await Self.post(client, "/chat/stream", #"{"pergunta": "E o prazo de entrega?", "conversa": "\#(id)"}"#)
            #expect(String(buffer: stream.body).contains(#""pergunta_reformulada":"#))
            let shown = try Self.object(try await client.execute(uri: "/conversas/\(id)", method: .get) { $0 })
            let turns = try #require(shown["turnos"] as? [[String: Any]])
            #expect(turns.map { $0["pergunta"] as? String } == ["Qual o procedimento para renovação da CNH?", "E quanto custa?", "E o prazo de entrega?"])
            #expect(turns.allSatisfy { !($0["resposta"] as? String ?? "").isEmpty && !($0["fontes"] as? [Any] ?? []).isEmpty })
            let unknown = try await Self.post(client, "/chat", #"{"pergunta": "E quanto custa?", "conversa": "nao-existe"}"#)
            #expect(unknown.status == .notFound)
            #expect((try? unknown.json(ErrorBody.self))?.error.param == "conversa")
            try await client.execute(uri: "/conversas/nao-existe", method: .get) { #expect($0.status == .notFound) }
        }
    }

    @Test("feedback is stored with the models that answered and exported as JSON lines; bad votes are 400")
    func feedback() async throws {
        try await RAGServiceTests.application().test(.router) { client in
            let given = try await Self.post(client, "/feedback", #"""
                {"voto": "negativo", "comentario": "faltou o valor", "pergunta": "Quanto custa a CNH?", "resposta": "Encontrei isto…",
                 "fontes": [{"documento": "taxas-detran.csv", "titulo": "t", "localizacao": "", "trecho": "x", "pontuacao": 0.9}]}
                """#)
            #expect(given.status == .created)
            for bad in [#"{"voto": "talvez", "pergunta": "p", "resposta": "r"}"#, #"{"voto": "positivo", "pergunta": " ", "resposta": "r"}"#,
                        #"{"voto": "positivo", "pergunta": "p", "resposta": "r", "conversa": "nao-existe"}"#] {
                let response = try await Self.post(client, "/feedback", bad)
                #expect(response.status.kind == .clientError && (try? response.json(ErrorBody.self)) != nil, "\(bad)")
            }
            let export = try await client.execute(uri: "/feedback", method: .get) { $0 }
            #expect(export.headers[.contentType]?.hasPrefix("application/x-ndjson") == true)
            let lines = String(buffer: export.body).split(separator: "\n")
            let line = try #require(try lines.compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                .first { $0["comentario"] as? String == "faltou o valor" })
            #expect(line["voto"] as? String == "negativo")
            #expect(line["modelo_embedding"] as? String == "e5" && line["modelo_chat"] as? String == "qwen")
            #expect((line["fontes"] as? [[String: Any]])?.first?["documento"] as? String == "taxas-detran.csv")
        }
    }

    @Test("a source's link opens its document with the cited passage highlighted; text is escaped; unknown documents 404")
    func documentView() async throws {
        _ = try await RAGServiceTests.knowledge.ingest()
        try await RAGServiceTests.application().test(.router) { client in
            let answer = try Self.object(try await Self.post(client, "/chat", #"{"pergunta": "Quanto custa a segunda via da CNH?"}"#))
            let source = try #require((answer["fontes"] as? [[String: Any]])?.first)
            let link = try #require(source["link"] as? String)
            let anchor = try #require(link.split(separator: "#").last.map(String.init))
            let page = try await client.execute(uri: String(link.split(separator: "#")[0]), method: .get) { $0 }
            #expect(page.status == .ok)
            let html = String(buffer: page.body)
            #expect(html.contains(#"<section id="\#(anchor)" class="trecho destaque""#), "\(link)")
            #expect(html.contains("<h1>") && !html.contains("<script"))
            try await client.execute(uri: "/documentos/nao-existe.txt", method: .get) { #expect($0.status == .notFound) }
        }
        #expect(DocumentPage.escape(#"<script>alert("x")</script> & 'y'"#) == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;")
    }

    @Test("/v1/chat/completions reads the earlier user messages: a follow-up is answered in context")
    func multiTurnMessages() async throws {
        _ = try await RAGServiceTests.knowledge.ingest()
        try await RAGServiceTests.application().test(.router) { client in
            let body = #"""
                {"messages": [{"role": "user", "content": "Qual o procedimento para renovação da CNH?"},
                              {"role": "assistant", "content": "Agende o atendimento…"},
                              {"role": "user", "content": [{"type": "text", "text": "E quanto custa?"}]}]}
                """#
            let completion = try Self.object(try await Self.post(client, "/v1/chat/completions", body))
            let passages = (completion["fontes"] as? [[String: Any]] ?? []).compactMap { $0["trecho"] as? String }.joined(separator: "\n")
            #expect(FactNormalizer.contains(passages, fact: "135,50"), "the renewal fee is among the follow-up's sources")
            #expect(completion["pergunta_reformulada"] as? String == "Quanto custa o procedimento para renovação da CNH?")
        }
    }

    @Test("PUT /documentos/{name} adds a document and indexes it at once; DELETE removes it from the folder and the index")
    func uploadAndDelete() async throws {
        let knowledge = try RAGServiceTests.makeKnowledge(generator: RAGServiceTests.generator)
        _ = try await knowledge.ingest()
        let app = Application(router: try buildRAGRouter(
            knowledge: knowledge, embeddingModelName: "e5", chatModelName: "qwen", metrics: ServiceMetrics(), generator: RAGServiceTests.generator))
        let text = "Regras do estacionamento rotativo\n\nO cartão de estacionamento rotativo vale por 2 (duas) horas e custa R$ 4,25 por período."
        let folder = await knowledge.indexer.dataDirectory
        try await app.test(.router) { client in
            let search = #"{"pergunta": "Quanto custa o cartão do estacionamento rotativo?"}"#
            func found() async throws -> Bool {
                let sources = try Self.object(try await Self.post(client, "/search", search))["fontes"] as? [[String: Any]] ?? []
                return sources.contains { $0["documento"] as? String == "estacionamento.md" }
            }
            #expect(try await found() == false)
            let added = try await client.execute(uri: "/documentos/estacionamento.md", method: .put, body: ByteBuffer(string: text)) { $0 }
            #expect(added.status == .created)
            #expect((try Self.object(added)["added"] as? [String]) == ["estacionamento.md"])
            #expect(try await found(), "asked right after the upload, the new document answers")
            try await client.execute(uri: "/documentos/estacionamento.md", method: .put, body: ByteBuffer(string: text)) {
                #expect($0.status == .conflict, "an existing file is replaced only when asked")
            }
            for (name, body) in [("../fora.md", "x"), (".oculto.md", "x"), ("planilha.xlsx", "x"), ("vazio.md", "")] {
                try await client.execute(uri: "/documentos/\(name)", method: .put, body: ByteBuffer(string: body)) { response in
                    #expect(response.status == .badRequest || response.status == .notFound, "\(name): \(response.status)")
                }
            }
            try await client.execute(uri: "/documentos/quebrado.pdf", method: .put, body: ByteBuffer(string: "not a pdf")) { response in
                #expect(response.status == .unprocessableContent)
                #expect((try? response.json(ErrorBody.self))?.error.message.contains("not indexed") == true)
            }
            #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("quebrado.pdf").path),
                    "a file that is not a document is not left in the folder")
            try await client.execute(uri: "/documentos/estacionamento.md", method: .delete) { #expect($0.status == .noContent) }
            #expect(try await found() == false, "deleted, the document no longer answers")
            #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("estacionamento.md").path))
            try await client.execute(uri: "/documentos/estacionamento.md", method: .delete) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/admin", method: .get) { #expect($0.status == .ok) }
            // The same from an HTML form (multipart/form-data), replacing with the form's field.
            let form = "--XyZ\r\nContent-Disposition: form-data; name=\"substituir\"\r\n\r\ntrue\r\n"
                + "--XyZ\r\nContent-Disposition: form-data; name=\"arquivo\"; filename=\"estacionamento.md\"\r\n"
                + "Content-Type: text/markdown\r\n\r\n\(text)\r\n--XyZ--\r\n"
            try await client.execute(
                uri: "/documentos", method: .post, headers: [.contentType: "multipart/form-data; boundary=XyZ"], body: ByteBuffer(string: form)
            ) { response in
                #expect(response.status == .created, "\(String(buffer: response.body))")
            }
            #expect(try await found(), "the form's document answers")
            #expect(try String(contentsOf: folder.appendingPathComponent("estacionamento.md"), encoding: .utf8) == text, "the file's bytes, exactly")
            try await client.execute(
                uri: "/documentos", method: .post, headers: [.contentType: "multipart/form-data; boundary=XyZ"], body: ByteBuffer(string: "garbage")
            ) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/documentos/estacionamento.md", method: .delete) { #expect($0.status == .noContent) }
        }
    }
}

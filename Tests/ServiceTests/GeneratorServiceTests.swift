import Foundation
import GuicheAPI
import Hummingbird
import HummingbirdTesting
import LlamaRuntime
import Testing
import TestSupport

@Suite("generator-service over HTTP")
struct GeneratorServiceTests {
    @Test("POST /generate answers with the chat template applied, greedy output equal to the library's")
    func generate() async throws {
        let generator = try TestServices.generator()
        let expected = try await generator.complete(messages: [.user("O que é a CNH?")], parameters: .greedy(maxTokens: 16))
        try await TestServices.generatorApplication(generator).test(.router) { client in
            let body = #"{"prompt": "O que é a CNH?", "max_tokens": 16, "temperature": 0, "repeat_penalty": 1}"#
            try await client.execute(uri: "/generate", method: .post, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .ok)
                let decoded = try response.json(GenerateResponse.self)
                #expect(decoded.text == expected.text)
                #expect(decoded.usage.completionTokens == 16)
                #expect(decoded.finishReason == "length")
                #expect(decoded.usage.totalTokens == decoded.usage.promptTokens + 16)
            }
            // raw: the prompt goes to the model as is (fewer tokens than with the template).
            try await client.execute(uri: "/generate", method: .post, body: ByteBuffer(string: #"{"prompt": "O que é a CNH?", "raw": true, "max_tokens": 4}"#)) { response in
                let decoded = try response.json(GenerateResponse.self)
                #expect(decoded.usage.promptTokens < 10)
            }
        }
    }

    @Test("POST /v1/chat/completions: JSON answer and a Server-Sent Events stream with the same text")
    func chatCompletions() async throws {
        let generator = try TestServices.generator()
        try await TestServices.generatorApplication(generator).test(.router) { client in
            let request = #"{"model": "qwen", "messages": [{"role": "system", "content": "Responda em português."}, {"role": "user", "content": "O que é o DETRAN?"}], "max_tokens": 12, "temperature": 0"#
            let whole = try await client.execute(uri: "/v1/chat/completions", method: .post, body: ByteBuffer(string: request + "}")) { response in
                #expect(response.status == .ok)
                let object = try JSONSerialization.jsonObject(with: Data(response.text.utf8)) as! [String: Any]
                #expect(object["object"] as? String == "chat.completion")
                #expect(object["model"] as? String == "qwen")
                let choice = (object["choices"] as! [[String: Any]])[0]
                #expect(choice["finish_reason"] as? String == "length")
                return (choice["message"] as! [String: Any])["content"] as! String
            }
            try await client.execute(uri: "/v1/chat/completions", method: .post, body: ByteBuffer(string: request + #", "stream": true, "stream_options": {"include_usage": true}}"#)) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/event-stream")
                let events = response.text.components(separatedBy: "\n\n").filter { !$0.isEmpty && !$0.hasPrefix(":") }  // comments are heartbeats
                #expect(events.last == "data: [DONE]")
                var text = ""
                var finishReasons: [String] = []
                var usage: [String: Any]?
                for event in events.dropLast() {
                    #expect(event.hasPrefix("data: "))
                    let chunk = try JSONSerialization.jsonObject(with: Data(event.dropFirst(6).utf8)) as! [String: Any]
                    #expect(chunk["object"] as? String == "chat.completion.chunk")
                    if let choice = (chunk["choices"] as! [[String: Any]]).first {
                        text += ((choice["delta"] as! [String: Any])["content"] as? String) ?? ""
                        if let reason = choice["finish_reason"] as? String { finishReasons.append(reason) }
                    }
                    if let value = chunk["usage"] as? [String: Any] { usage = value }
                }
                #expect(text == whole)
                #expect(finishReasons == ["length"])
                #expect(usage?["completion_tokens"] as? Int == 12)
            }
        }
    }

    @Test("bad input gets a clear 4xx JSON error", arguments: [
        BadInput(name: "invalid JSON", path: "/generate", body: "{", status: .badRequest, type: "invalid_request_error", messageContains: "invalid JSON"),
        BadInput(name: "missing prompt", path: "/generate", body: #"{"promt": "a"}"#, status: .badRequest, type: "invalid_request_error", messageContains: "missing field 'prompt'"),
        BadInput(name: "prompt of wrong type", path: "/generate", body: #"{"prompt": 3}"#, status: .badRequest, type: "invalid_request_error", messageContains: "expected a string"),
        BadInput(name: "empty prompt", path: "/generate", body: #"{"prompt": "  "}"#, status: .badRequest, type: "invalid_request_error", messageContains: "empty"),
        BadInput(name: "max_tokens 0", path: "/generate", body: #"{"prompt": "a", "max_tokens": 0}"#, status: .badRequest, type: "invalid_request_error", messageContains: "maxTokens"),
        BadInput(name: "top_p out of range", path: "/generate", body: #"{"prompt": "a", "top_p": 2}"#, status: .badRequest, type: "invalid_request_error", messageContains: "topP"),
        BadInput(name: "top_k beyond 32 bits (used to trap)", path: "/generate", body: #"{"prompt": "oi", "top_k": 3000000000}"#, status: .badRequest, type: "invalid_request_error", messageContains: "topK must be at most"),
        BadInput(name: "prompt longer than the context", path: "/generate", body: #"{"prompt": "\#(String(repeating: "renovação da carteira ", count: 400))"}"#, status: .badRequest, type: "invalid_request_error", messageContains: "tokens; the context holds at most 1023"),
        BadInput(name: "body over the size limit", path: "/generate", body: #"{"prompt": "\#(String(repeating: "a", count: 3 << 20))"}"#, status: .contentTooLarge, type: "request_too_large", messageContains: "larger"),
        BadInput(name: "chat: no messages", path: "/v1/chat/completions", body: #"{"messages": []}"#, status: .badRequest, type: "invalid_request_error", messageContains: "'messages' is empty"),
        BadInput(name: "chat: unknown role", path: "/v1/chat/completions", body: #"{"messages": [{"role": "robot", "content": "a"}]}"#, status: .badRequest, type: "invalid_request_error", messageContains: "robot"),
        BadInput(name: "stop of the wrong type", path: "/generate", body: #"{"prompt": "oi", "stop": 5}"#, status: .badRequest, type: "invalid_request_error", messageContains: "string or an array of strings"),
        BadInput(name: "chat: a message without content", path: "/v1/chat/completions", body: #"{"messages": [{"role": "user"}]}"#, status: .badRequest, type: "invalid_request_error", messageContains: "messages[0].content"),
        BadInput(name: "chat: messages not an array", path: "/v1/chat/completions", body: #"{"messages": "oi"}"#, status: .badRequest, type: "invalid_request_error", messageContains: "messages"),
        BadInput(name: "chat: n > 1", path: "/v1/chat/completions", body: #"{"messages": [{"role": "user", "content": "a"}], "n": 2}"#, status: .badRequest, type: "invalid_request_error", messageContains: "n = 1"),
        BadInput(name: "unknown route", path: "/v1/completions", body: "{}", status: .notFound, type: "not_found_error", messageContains: "Not Found"),
    ])
    func badInput(_ input: BadInput) async throws {
        let generator = try TestServices.generator()
        try await TestServices.generatorApplication(generator).test(.router) { client in
            try await expectBadInput(input, on: client)
        }
    }

    @Test("beyond the parallel sequences and the queue: 503 with Retry-After")
    func overloaded() async throws {
        let generator = try TestServices.generator(parallel: 1, queue: 0)
        let busy = try generator.stream(prompt: "Conte até cem.", parameters: .greedy(maxTokens: 300))
        try await TestServices.generatorApplication(generator).test(.router) { client in
            try await client.execute(uri: "/generate", method: .post, body: ByteBuffer(string: #"{"prompt": "Oi", "max_tokens": 2}"#)) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] == "1")
                let envelope = try response.json(ErrorBody.self)
                #expect(envelope.error.type == "overloaded_error")
            }
        }
        _ = busy
    }

    @Test("GET /health and /metrics report the generator's state")
    func healthAndMetrics() async throws {
        let generator = try TestServices.generator(parallel: 2)
        try await TestServices.generatorApplication(generator).test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.text.contains(#""parallel_sequences":2"#))
                #expect(response.text.contains(#""context_per_sequence":1024"#))
            }
            try await client.execute(uri: "/generate", method: .post, body: ByteBuffer(string: #"{"prompt": "Oi", "max_tokens": 3}"#)) { _ in }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.text.contains("generation_completion_tokens_total 3"))
                #expect(response.text.contains("generation_time_to_first_token_seconds_count 1"))
                #expect(response.text.contains("generation_in_flight_sequences 0"))
                #expect(response.text.contains(#"http_requests_total{route="/generate",method="POST",status="200"} 1"#))
            }
            try await client.execute(uri: "/openapi.yaml", method: .get) { response in
                #expect(response.text.contains("/v1/chat/completions"))
            }
        }
    }
}

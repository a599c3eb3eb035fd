import RAGCore
import Testing

@Suite("follow-up questions")
struct FollowUpTests {
    @Test("a follow-up takes the previous question's subject; a question that names its own stands alone", arguments: [
        ("E quanto custa?", "Qual o procedimento para renovação da CNH?", "Quanto custa o procedimento para renovação da CNH?"),
        ("Quanto custa isso?", "Como faço a segunda via da CNH?", "Quanto custa a segunda via da CNH?"),
        ("e qual o prazo", "Quais documentos preciso para a adoção?", "Qual o prazo documentos preciso para a adoção?"),
        ("Mas e para moto?", "Qual a idade mínima para tirar a carteira?", "Para moto a idade mínima para tirar a carteira?"),
        ("E ela vale por quanto tempo?", "O que é a Permissão para Dirigir?", "A Permissão para Dirigir vale por quanto tempo?"),
        ("Qual a multa por dirigir sem cinto?", "Qual o procedimento para renovação da CNH?", "Qual a multa por dirigir sem cinto?"),
        ("E quanto custa?", nil, "E quanto custa?"),
    ] as [(String, String?, String)])
    func standalone(question: String, previous: String?, expected: String) {
        #expect(FollowUp.standalone(question, after: previous) == expected)
    }
}

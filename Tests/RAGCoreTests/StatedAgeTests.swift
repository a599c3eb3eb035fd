@testable import RAGCore
import Testing

@Suite("Stated ages and the law's age conditions")
struct StatedAgeTests {
    @Test("a question's stated age is read; an asked age, a time elapsed or another figure is not")
    func statedAge() {
        #expect(StatedAge.stated(in: "meu pai tem 72 anos, a cnh dele vale por quanto tempo?") == 72)
        #expect(StatedAge.stated(in: "Tenho 84 anos e no postinho me colocaram atrás de um senhor de 62.") == 84)
        #expect(StatedAge.stated(in: "Meu pai de 72 amputou a perna.") == 72)
        #expect(StatedAge.stated(in: "meu filho de 16 foi apreendido") == 16)
        #expect(StatedAge.stated(in: "tenho a guarda faz 4 anos, ele tem 6. posso adotar?") == 6)
        #expect(StatedAge.stated(in: "com quantos anos a pessoa pode adotar?") == nil)
        #expect(StatedAge.stated(in: "tenho 3 anos de habilitação, posso dirigir ônibus?") == nil)
        #expect(StatedAge.stated(in: "criança de 8 anos de idade pode ir no banco da frente?") == 8)
        #expect(StatedAge.stated(in: "meu pai tem 72 anos, de quanto em quanto tempo renova?") == 72)
        #expect(StatedAge.stated(in: "fiquei 3 dias sem a carteira, tenho de 30 dias para recorrer?") == nil)
    }

    @Test("an age condition holds for the ages in its range, and a term of years is no condition")
    func conditions() {
        let renewal = "III - a cada 3 (três) anos, para condutores com idade igual ou superior a 70 (setenta) anos."
        #expect(StatedAge.holds(in: renewal, for: 72))
        #expect(!StatedAge.holds(in: renewal, for: 45))
        #expect(StatedAge.holds(in: "I - a cada 10 (dez) anos, para condutores com idade inferior a 50 (cinquenta) anos;", for: 45))
        #expect(StatedAge.holds(in: "é assegurada prioridade especial aos maiores de 80 (oitenta) anos", for: 84))
        #expect(!StatedAge.holds(in: "é assegurada prioridade especial aos maiores de 80 (oitenta) anos", for: 62))
        #expect(StatedAge.holds(in: "Nenhum adolescente menor de 16 (dezesseis) anos poderá viajar", for: 15))
        #expect(StatedAge.holds(in: "adolescente aquela entre doze e dezoito anos de idade", for: 13))
        #expect(!StatedAge.holds(in: "adolescente aquela entre doze e dezoito anos de idade", for: 19))
        #expect(!StatedAge.holds(in: "Pena - reclusão, de 1 (um) a 4 (quatro) anos, e multa.", for: 3))
        #expect(!StatedAge.holds(in: "pelo prazo superior a 2 (dois) anos", for: 72))
        // A passage with no age condition says nothing; one whose conditions all exclude the age, no.
        #expect(StatedAge.verdict(in: "pelo prazo superior a 2 (dois) anos", for: 72) == nil)
        #expect(StatedAge.verdict(in: "As crianças menores de dez anos somente poderão ingressar acompanhadas", for: 60) == false)
        #expect(StatedAge.verdict(in: "As crianças menores de dez anos somente poderão ingressar acompanhadas", for: 8) == true)
    }
}

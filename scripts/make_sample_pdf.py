#!/usr/bin/env python3
"""Writes data/resolucao-contran-789-resumo.pdf, the sample PDF (two pages, real text layer).

A tiny PDF writer (Helvetica, WinAnsi encoding) so the sample needs no PDF library.
Usage: make_sample_pdf.py [OUTPUT]
"""
import sys
from pathlib import Path

PAGES = [
    [
        "RESOLUÇÃO CONTRAN Nº 789, DE 18 DE JUNHO DE 2020 (RESUMO)",
        "Consolida normas sobre o processo de formação de condutores.",
        "",
        "Art. 1º Esta Resolução consolida as normas sobre o processo de formação",
        "de condutores de veículos automotores e elétricos.",
        "Art. 2º O processo de habilitação terá validade de doze meses, contados",
        "da data do requerimento do candidato.",
        "Art. 3º O curso teórico-técnico terá carga horária mínima de quarenta e",
        "cinco horas-aula, com legislação de trânsito, direção defensiva, noções",
        "de primeiros socorros, meio ambiente e mecânica básica.",
    ],
    [
        "Art. 4º As aulas práticas de direção veicular para a categoria B terão",
        "carga horária mínima de vinte horas-aula, das quais ao menos uma no",
        "período noturno, ministradas por instrutor credenciado.",
        "Parágrafo único. O candidato reprovado no exame de direção veicular",
        "poderá repetir o exame decorridos quinze dias da divulgação do resultado.",
    ],
]


def escape(text: str) -> bytes:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("cp1252")


def make(pages) -> bytes:
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    page_ids = [4 + 2 * i for i in range(len(pages))]
    kids = " ".join(f"{i} 0 R" for i in page_ids)
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    for index, lines in enumerate(pages):
        stream = b"BT /F1 11 Tf 14 TL 50 790 Td\n" + b"".join(b"(" + escape(line) + b") Tj T*\n" for line in lines) + b"ET"
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents {page_ids[index] + 1} 0 R >>".encode())
        objects.append(f"<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"\nendstream")
    body = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(body))
        body += f"{number} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(body)
    body += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    body += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    body += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(body)


if __name__ == "__main__":
    output = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "data" / "resolucao-contran-789-resumo.pdf")
    output.write_bytes(make(PAGES))
    print(f"wrote {output}")

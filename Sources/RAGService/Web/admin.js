"use strict";
// Guichê's admin page: the indexed documents (add, delete, sync the folder) and the feedback.

const aviso = document.getElementById("aviso");
const chaveCampo = document.getElementById("chave-campo");
const chave = document.getElementById("chave");
chave.value = sessionStorage.getItem("guiche.chave-admin") || "";

function cabecalhos(extra) {
  const headers = Object.assign({}, extra);
  if (chave.value) headers["Authorization"] = "Bearer " + chave.value;
  return headers;
}

async function chamar(caminho, opcoes) {
  const resposta = await fetch(caminho, Object.assign({}, opcoes, { headers: cabecalhos((opcoes || {}).headers) }));
  if (resposta.status === 401 || resposta.status === 403) {
    chaveCampo.hidden = false;
    let mensagem = "";
    try { mensagem = (await resposta.clone().json()).error.message; } catch (_) { /* not JSON */ }
    aviso.textContent = `Acesso negado. ${mensagem}`;
    throw new Error("acesso");
  }
  return resposta;
}

async function erro(resposta) {
  try { return (await resposta.json()).error.message; } catch (_) { return `erro ${resposta.status}`; }
}

function celula(linha, texto) {
  const td = document.createElement("td");
  td.textContent = texto;
  linha.appendChild(td);
  return td;
}

async function carregarDocumentos() {
  const resposta = await chamar("/documents");
  if (!resposta.ok) { aviso.textContent = await erro(resposta); return; }
  const { documentos, falhas } = await resposta.json();
  const corpo = document.querySelector("#documentos tbody");
  corpo.replaceChildren();
  for (const doc of documentos) {
    const linha = document.createElement("tr");
    const nome = celula(linha, "");
    const link = document.createElement("a");
    link.href = "/documentos/" + encodeURIComponent(doc.documento);
    link.textContent = doc.documento;
    nome.appendChild(link);
    celula(linha, doc.titulo);
    celula(linha, String(doc.trechos));
    celula(linha, new Date(doc.indexado_em).toLocaleString("pt-BR"));
    const acoes = celula(linha, "");
    const apagar = document.createElement("button");
    apagar.type = "button";
    apagar.textContent = "Excluir";
    apagar.setAttribute("aria-label", `Excluir ${doc.documento}`);
    apagar.addEventListener("click", () => excluir(doc.documento));
    acoes.appendChild(apagar);
    corpo.appendChild(linha);
  }
  const lista = document.getElementById("falhas");
  lista.replaceChildren(...falhas.map((f) => Object.assign(document.createElement("li"), { textContent: `${f.documento}: não indexado — ${f.motivo}` })));
}

async function carregarAvaliacoes() {
  const resposta = await chamar("/feedback");
  if (!resposta.ok) return;
  const linhas = (await resposta.text()).split("\n").filter(Boolean).map((l) => JSON.parse(l));
  const lista = document.getElementById("avaliacoes");
  lista.replaceChildren(...linhas.reverse().map((a) => Object.assign(document.createElement("li"), {
    textContent: `${a.voto === "positivo" ? "👍" : "👎"} “${a.pergunta}”${a.comentario ? " — " + a.comentario : ""} (${new Date(a.em).toLocaleString("pt-BR")})`,
  })));
}

async function excluir(nome) {
  if (!confirm(`Excluir ${nome} da pasta e do índice?`)) return;
  const resposta = await chamar("/documentos/" + encodeURIComponent(nome), { method: "DELETE" });
  aviso.textContent = resposta.ok ? `${nome} excluído.` : `Não foi possível excluir: ${await erro(resposta)}`;
  await carregarDocumentos();
}

document.getElementById("envio").addEventListener("submit", async (evento) => {
  evento.preventDefault();
  const arquivo = document.getElementById("arquivo").files[0];
  if (!arquivo) return;
  aviso.textContent = `Enviando e indexando ${arquivo.name}…`;
  let resposta = await chamar("/documentos/" + encodeURIComponent(arquivo.name), { method: "PUT", body: arquivo });
  if (resposta.status === 409 && confirm(`${arquivo.name} já existe. Substituir?`)) {
    resposta = await chamar("/documentos/" + encodeURIComponent(arquivo.name) + "?substituir=true", { method: "PUT", body: arquivo });
  }
  aviso.textContent = resposta.ok ? `${arquivo.name} indexado.` : `Não foi indexado: ${await erro(resposta)}`;
  await carregarDocumentos();
});

document.getElementById("sincronizar").addEventListener("click", async (evento) => {
  evento.target.disabled = true;
  aviso.textContent = "Sincronizando a pasta de documentos…";
  const resposta = await chamar("/ingest", { method: "POST" });
  if (resposta.ok) {
    const r = await resposta.json();
    aviso.textContent = `Sincronizado: ${r.added.length} novos, ${r.updated.length} atualizados, ${r.removed.length} removidos, ${r.failed.length} com falha.`;
  } else {
    aviso.textContent = `Não foi possível sincronizar: ${await erro(resposta)}`;
  }
  evento.target.disabled = false;
  await carregarDocumentos();
});

document.getElementById("entrar").addEventListener("click", () => {
  sessionStorage.setItem("guiche.chave-admin", chave.value);
  chaveCampo.hidden = true;
  iniciar();
});

async function iniciar() {
  try { await carregarDocumentos(); await carregarAvaliacoes(); } catch (_) { /* asked for the key */ }
}
iniciar();

"use strict";
// Guichê's web chat: asks /chat/stream within a server-side conversation, streams the answer,
// lists its sources (each a link to the cited passage) and takes 👍/👎 feedback.

const conversa = document.getElementById("conversa");
const formulario = document.getElementById("formulario");
const pergunta = document.getElementById("pergunta");
const enviar = document.getElementById("enviar");
const aviso = document.getElementById("aviso");
const chaveCampo = document.getElementById("chave-campo");
const chave = document.getElementById("chave");

let conversaId = sessionStorage.getItem("guiche.conversa");
chave.value = sessionStorage.getItem("guiche.chave") || "";

function cabecalhos() {
  const headers = { "Content-Type": "application/json" };
  if (chave.value) headers["Authorization"] = "Bearer " + chave.value;
  return headers;
}

function elemento(tag, classe, texto) {
  const el = document.createElement(tag);
  if (classe) el.className = classe;
  if (texto !== undefined) el.textContent = texto;
  return el;
}

async function mensagemDeErro(resposta) {
  let mensagem = "";
  try { mensagem = (await resposta.json()).error.message; } catch (_) { /* not JSON */ }
  if (resposta.status === 401 || resposta.status === 403) {
    chaveCampo.hidden = false;
    chave.focus();
    return "Este atendimento pede uma chave de acesso. Informe a chave e pergunte de novo.";
  }
  if (resposta.status === 429 || resposta.status === 503) {
    const espera = resposta.headers.get("Retry-After") || "alguns";
    return `Muitas perguntas agora. Tente de novo em ${espera} segundos.`;
  }
  return mensagem ? `Não foi possível responder: ${mensagem}` : `Não foi possível responder (erro ${resposta.status}).`;
}

async function garantirConversa() {
  if (conversaId) return;
  const resposta = await fetch("/conversas", { method: "POST", headers: cabecalhos() });
  if (!resposta.ok) throw resposta;
  conversaId = (await resposta.json()).id;
  sessionStorage.setItem("guiche.conversa", conversaId);
}

function novoTurno(texto) {
  const turno = elemento("article", "turno");
  turno.appendChild(elemento("p", "pergunta-feita", texto));
  const reformulada = elemento("p", "reformulada");
  reformulada.hidden = true;
  const resposta = elemento("div", "resposta");
  resposta.setAttribute("aria-live", "polite");
  resposta.setAttribute("aria-busy", "true");
  turno.append(reformulada, resposta);
  conversa.appendChild(turno);
  turno.scrollIntoView({ block: "end" });
  return { turno, reformulada, resposta, fontes: [], texto: "" };
}

function mostrarFontes(t, fontes) {
  t.fontes = fontes;
  if (!fontes.length) return;
  const bloco = elemento("section", "fontes-bloco");
  bloco.setAttribute("aria-label", "Fontes da resposta");
  bloco.appendChild(elemento("h2", "modo", "Fontes"));
  const lista = elemento("ol", "fontes");
  for (const fonte of fontes) {
    const item = elemento("li");
    const link = elemento("a", "fonte", fonte.citacao || [fonte.titulo, fonte.localizacao].filter(Boolean).join(" — "));
    link.href = fonte.link || "#";
    item.appendChild(link);
    lista.appendChild(item);
  }
  bloco.appendChild(lista);
  t.fontesBloco = bloco;
}

const nomesDoModo = { extrativa: "Trechos da norma", gerada: "Resposta conferida com a norma", recusa: "Sem resposta nos documentos" };

function avaliacao(t, perguntaFeita) {
  const bloco = elemento("div", "avaliacao");
  const util = elemento("button", "", "👍 Útil");  // the emoji is decoration: the label names the button
  util.type = "button";
  util.setAttribute("aria-label", "A resposta foi útil");
  const inutil = elemento("button", "", "👎 Não ajudou");
  inutil.type = "button";
  inutil.setAttribute("aria-label", "A resposta não ajudou");
  const obrigado = elemento("span", "obrigado");
  obrigado.setAttribute("role", "status");
  async function votar(voto, comentario) {
    util.disabled = inutil.disabled = true;
    const corpo = { voto, pergunta: perguntaFeita, resposta: t.texto, fontes: t.fontes, conversa: conversaId || undefined };
    if (comentario) corpo.comentario = comentario;
    const resposta = await fetch("/feedback", { method: "POST", headers: cabecalhos(), body: JSON.stringify(corpo) });
    obrigado.textContent = resposta.ok ? "Obrigado pela avaliação." : await mensagemDeErro(resposta);
  }
  util.addEventListener("click", () => votar("positivo"));
  inutil.addEventListener("click", () => {
    const rotulo = elemento("label", "", "O que faltou? (opcional)");
    const id = "comentario-" + Math.random().toString(36).slice(2);
    rotulo.htmlFor = id;
    const comentario = elemento("textarea");
    comentario.id = id;
    comentario.rows = 2;
    comentario.maxLength = 2000;
    const mandar = elemento("button", "", "Enviar avaliação");
    mandar.type = "button";
    mandar.addEventListener("click", () => { mandar.disabled = true; votar("negativo", comentario.value.trim()); });
    bloco.append(rotulo, comentario, mandar);
    inutil.disabled = util.disabled = true;
    comentario.focus();
  });
  bloco.append(util, inutil, obrigado);
  return bloco;
}

function tratarEvento(t, dados, perguntaFeita) {
  if (dados === "[DONE]") return;
  const evento = JSON.parse(dados);
  if (evento.error) throw new Error(evento.error.message);
  if (evento.fontes) {
    mostrarFontes(t, evento.fontes);
    mostrarReformulada(t, evento.pergunta_reformulada, perguntaFeita);
  }
  if (typeof evento.texto === "string") {
    t.texto += evento.texto;
    t.resposta.textContent = t.texto;
  }
  if (evento.modo) concluir(t, evento.modo, perguntaFeita);
}

function mostrarReformulada(t, reformulada, perguntaFeita) {
  if (reformulada && reformulada !== perguntaFeita) {
    t.reformulada.textContent = `Entendi como: ${reformulada}`;
    t.reformulada.hidden = false;
  }
}

function concluir(t, modo, perguntaFeita) {
  t.resposta.setAttribute("aria-busy", "false");
  t.turno.appendChild(elemento("span", "modo", nomesDoModo[modo] || modo));
  if (t.fontesBloco && modo !== "recusa") t.turno.appendChild(t.fontesBloco);
  t.turno.appendChild(avaliacao(t, perguntaFeita));
  t.turno.scrollIntoView({ block: "start" });
}

// Back from a cited document (or a reload): the conversation so far, from the server.
async function restaurar() {
  if (!conversaId) return;
  const resposta = await fetch(`/conversas/${encodeURIComponent(conversaId)}`, { headers: cabecalhos() });
  if (!resposta.ok) return;
  for (const turno of (await resposta.json()).turnos) {
    const t = novoTurno(turno.pergunta);
    mostrarReformulada(t, turno.pergunta_reformulada, turno.pergunta);
    mostrarFontes(t, turno.fontes);
    t.texto = turno.resposta;
    t.resposta.textContent = turno.resposta;
    concluir(t, turno.modo, turno.pergunta);
  }
}
restaurar();

async function perguntar(texto) {
  const t = novoTurno(texto);
  aviso.textContent = "Procurando nos documentos…";
  let resposta;
  try {
    await garantirConversa();
    const corpo = () => JSON.stringify({ pergunta: texto, conversa: conversaId });
    resposta = await fetch("/chat/stream", { method: "POST", headers: cabecalhos(), body: corpo() });
    if (resposta.status === 404 && conversaId) {  // the conversation is gone (a new database): start another
      conversaId = null;
      sessionStorage.removeItem("guiche.conversa");
      await garantirConversa();
      resposta = await fetch("/chat/stream", { method: "POST", headers: cabecalhos(), body: corpo() });
    }
  } catch (falha) {
    resposta = falha instanceof Response ? falha : null;
  }
  if (!resposta || !resposta.ok) {
    t.resposta.setAttribute("aria-busy", "false");
    t.resposta.classList.add("erro");
    t.resposta.textContent = resposta ? await mensagemDeErro(resposta) : "Não foi possível falar com o servidor.";
    aviso.textContent = "";
    return;
  }
  const leitor = resposta.body.getReader();
  const decodificador = new TextDecoder();
  let pendente = "";
  try {
    for (;;) {
      const { value, done } = await leitor.read();
      if (done) break;
      pendente += decodificador.decode(value, { stream: true });
      let fim;
      while ((fim = pendente.indexOf("\n\n")) >= 0) {
        const bloco = pendente.slice(0, fim);
        pendente = pendente.slice(fim + 2);
        const dados = bloco.split("\n").filter((linha) => linha.startsWith("data:")).map((linha) => linha.slice(5).trimStart()).join("\n");
        if (dados) tratarEvento(t, dados, texto);
      }
    }
    aviso.textContent = "Resposta concluída.";
  } catch (falha) {
    t.resposta.setAttribute("aria-busy", "false");
    t.resposta.classList.add("erro");
    t.resposta.textContent = (t.texto ? t.texto + "\n\n" : "") + `A resposta foi interrompida: ${falha.message}`;
    aviso.textContent = "";
  }
}

formulario.addEventListener("submit", async (evento) => {
  evento.preventDefault();
  const texto = pergunta.value.trim();
  if (!texto) return;
  if (chave.value) sessionStorage.setItem("guiche.chave", chave.value);
  pergunta.value = "";
  enviar.disabled = true;
  try { await perguntar(texto); } finally { enviar.disabled = false; pergunta.focus(); }
});

pergunta.addEventListener("keydown", (evento) => {
  if (evento.key === "Enter" && !evento.shiftKey) {
    evento.preventDefault();
    formulario.requestSubmit();
  }
});

document.getElementById("nova").addEventListener("click", () => {
  conversaId = null;
  sessionStorage.removeItem("guiche.conversa");
  conversa.replaceChildren();
  aviso.textContent = "Nova conversa iniciada.";
  pergunta.focus();
});

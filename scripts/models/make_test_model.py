#!/usr/bin/env python3
"""Builds a random-weight masked-language model in Hugging Face layout, exported to ONNX, plus
golden sparse vectors computed independently of lsr (plain torch, and a WordPiece tokenizer
written here, not Transformers.js).

The modules are hand-written in plain torch with Hugging Face's parameter names
(DistilBertForMaskedLM, BertForMaskedLM), so the state dict would load into `transformers`.
Output folder:
  config.json, tokenizer.json, tokenizer_config.json, special_tokens_map.json, vocab.txt,
  idf.json (a deterministic made-up IDF table), onnx/model.onnx, onnx/model_quantized.onnx
  (dynamic int8: MatMulInteger on uint8 weights), and with --goldens, goldens.json (per text: the
  truncated encoding's weights, and the weights of overlapping windows max-pooled together).

Needs Debian's python3-torch and python3-onnx (run with /usr/bin/python3).
Examples:
  /usr/bin/python3 scripts/models/make_test_model.py --arch distilbert --out test/fixtures/models/tiny-distilbert --goldens
  /usr/bin/python3 scripts/models/make_test_model.py --arch distilbert --vocab vocab.txt --layers 6 --dim 768 \\
      --heads 12 --ffn 3072 --max-pos 512 --out index-data/models/distilbert-base-random
"""
import argparse
import json
import math
import os
import unicodedata

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper
from torch import nn

SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
GOLDEN_TEXTS = [
    'Roaring bitmaps compress sorted sets of integers.',
    "What's the weather in NY now? It's rainy, isn't it!",
    'Learned sparse retrieval expands documents with terms they never contain; queries need no model at all.',
    'Café naïve résumé: accents are stripped and UPPER case is lowered.',
    ' '.join(['the index stores posting lists of document ids and their weights'] * 12),
    'x',
]


# ---------------------------------------------------------------- tokenizer (BERT WordPiece)

def tiny_vocab():
    """Specials, characters, continuation characters and frequent English words."""
    chars = list('abcdefghijklmnopqrstuvwxyz0123456789') + list('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~')
    words = ('the of and to a in is for on that with as by it are be this or from an at which not but '
             'can their its have has more one they all was were been index document documents query queries '
             'term terms search retrieval sparse learned model models score scores weight weights posting lists '
             'list bitmap bitmaps roaring compress sorted sets integers what weather now rain rainy new york '
             'expand expands contain never need no data vector vectors token tokens ids store stores time fast '
             'engine text word words accent case upper lower stripped').split()
    vocab = list(SPECIALS) + chars + ['##' + c for c in 'abcdefghijklmnopqrstuvwxyz0123456789']
    for w in words:
        if w not in vocab:
            vocab.append(w)
    for piece in ['##s', '##ed', '##ing', '##er', '##ly', '##y', '##es']:
        if piece not in vocab:
            vocab.append(piece)
    return vocab


def is_punctuation(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith('P')


def basic_tokenize(text):
    """BERT's BasicTokenizer: clean, lowercase, strip accents, split on whitespace and punctuation."""
    text = ''.join(' ' if ch.isspace() else ch for ch in text if not (ord(ch) == 0 or ord(ch) == 0xFFFD or unicodedata.category(ch) in ('Cc', 'Cf') and not ch.isspace()))
    text = unicodedata.normalize('NFD', text.lower())
    text = ''.join(ch for ch in text if unicodedata.category(ch) != 'Mn')
    tokens = []
    for word in text.split():
        current = ''
        for ch in word:
            if is_punctuation(ch):
                if current:
                    tokens.append(current)
                tokens.append(ch)
                current = ''
            else:
                current += ch
        if current:
            tokens.append(current)
    return tokens


def wordpiece(word, vocab_index, max_chars=100):
    if len(word) > max_chars:
        return ['[UNK]']
    pieces, start = [], 0
    while start < len(word):
        end, found = len(word), None
        while start < end:
            piece = word[start:end] if start == 0 else '##' + word[start:end]
            if piece in vocab_index:
                found = piece
                break
            end -= 1
        if found is None:
            return ['[UNK]']
        pieces.append(found)
        start = end
    return pieces


def encode(text, vocab_index, max_length):
    tokens = [p for w in basic_tokenize(text) for p in wordpiece(w, vocab_index)]
    tokens = ['[CLS]'] + tokens[: max_length - 2] + ['[SEP]']
    return tokens, [vocab_index[t] for t in tokens]


def windows(text, vocab_index, max_length, stride):
    """Overlapping windows of max_length - 2 word pieces every `stride` pieces, each as [CLS] ... [SEP]."""
    pieces = [p for w in basic_tokenize(text) for p in wordpiece(w, vocab_index)]
    size, out, start = max_length - 2, [], 0
    while True:
        out.append([vocab_index['[CLS]']] + [vocab_index[p] for p in pieces[start:start + size]] + [vocab_index['[SEP]']])
        if start + size >= len(pieces):
            return out
        start += stride


def tokenizer_json(vocab):
    index = {t: i for i, t in enumerate(vocab)}
    return {
        'version': '1.0',
        'truncation': None,
        'padding': None,
        'added_tokens': [
            {'id': index[t], 'content': t, 'single_word': False, 'lstrip': False, 'rstrip': False, 'normalized': False, 'special': True}
            for t in SPECIALS
        ],
        'normalizer': {'type': 'BertNormalizer', 'clean_text': True, 'handle_chinese_chars': True, 'strip_accents': None, 'lowercase': True},
        'pre_tokenizer': {'type': 'BertPreTokenizer'},
        'post_processor': {
            'type': 'TemplateProcessing',
            'single': [{'SpecialToken': {'id': '[CLS]', 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}}, {'SpecialToken': {'id': '[SEP]', 'type_id': 0}}],
            'pair': [{'SpecialToken': {'id': '[CLS]', 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}}, {'SpecialToken': {'id': '[SEP]', 'type_id': 0}},
                     {'Sequence': {'id': 'B', 'type_id': 1}}, {'SpecialToken': {'id': '[SEP]', 'type_id': 1}}],
            'special_tokens': {t: {'id': t, 'ids': [index[t]], 'tokens': [t]} for t in ('[CLS]', '[SEP]')},
        },
        'decoder': {'type': 'WordPiece', 'prefix': '##', 'cleanup': True},
        'model': {'type': 'WordPiece', 'unk_token': '[UNK]', 'continuing_subword_prefix': '##', 'max_input_chars_per_word': 100, 'vocab': index},
    }


# ---------------------------------------------------------------- models (Hugging Face names)

class DistilBertLayer(nn.Module):
    def __init__(self, dim, heads, ffn):
        super().__init__()
        self.attention = nn.Module()
        self.attention.q_lin, self.attention.k_lin = nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.attention.v_lin, self.attention.out_lin = nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.sa_layer_norm = nn.LayerNorm(dim, eps=1e-12)
        self.ffn = nn.Module()
        self.ffn.lin1, self.ffn.lin2 = nn.Linear(dim, ffn), nn.Linear(ffn, dim)
        self.output_layer_norm = nn.LayerNorm(dim, eps=1e-12)
        self.heads = heads

    def forward(self, x, mask):
        a = self.attention
        attended = attention(x, mask, a.q_lin, a.k_lin, a.v_lin, self.heads)
        x = self.sa_layer_norm(a.out_lin(attended) + x)
        return self.output_layer_norm(self.ffn.lin2(nn.functional.gelu(self.ffn.lin1(x))) + x)


def attention(x, mask, q_lin, k_lin, v_lin, heads):
    b, s, d = x.shape
    split = lambda t: t.view(b, s, heads, d // heads).transpose(1, 2)
    q, k, v = split(q_lin(x)), split(k_lin(x)), split(v_lin(x))
    scores = q @ k.transpose(-1, -2) / math.sqrt(d // heads)
    scores = scores.masked_fill(mask[:, None, None, :] == 0, torch.finfo(scores.dtype).min)
    return (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, s, d)


class DistilBertForMaskedLM(nn.Module):
    def __init__(self, vocab, dim, layers, heads, ffn, max_pos):
        super().__init__()
        self.distilbert = nn.Module()
        self.distilbert.embeddings = nn.Module()
        e = self.distilbert.embeddings
        e.word_embeddings, e.position_embeddings = nn.Embedding(vocab, dim), nn.Embedding(max_pos, dim)
        e.LayerNorm = nn.LayerNorm(dim, eps=1e-12)
        self.distilbert.transformer = nn.Module()
        self.distilbert.transformer.layer = nn.ModuleList(DistilBertLayer(dim, heads, ffn) for _ in range(layers))
        self.vocab_transform = nn.Linear(dim, dim)
        self.vocab_layer_norm = nn.LayerNorm(dim, eps=1e-12)
        self.vocab_projector = nn.Linear(dim, vocab)
        self.vocab_projector.weight = e.word_embeddings.weight

    def forward(self, input_ids, attention_mask):
        e = self.distilbert.embeddings
        positions = torch.arange(input_ids.shape[1]).unsqueeze(0)
        x = e.LayerNorm(e.word_embeddings(input_ids) + e.position_embeddings(positions))
        for layer in self.distilbert.transformer.layer:
            x = layer(x, attention_mask)
        return self.vocab_projector(self.vocab_layer_norm(nn.functional.gelu(self.vocab_transform(x))))


class BertLayer(nn.Module):
    def __init__(self, dim, heads, ffn):
        super().__init__()
        self.attention = nn.Module()
        self.attention.self = nn.Module()
        s = self.attention.self
        s.query, s.key, s.value = nn.Linear(dim, dim), nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.attention.output = nn.Module()
        self.attention.output.dense, self.attention.output.LayerNorm = nn.Linear(dim, dim), nn.LayerNorm(dim, eps=1e-12)
        self.intermediate = nn.Module()
        self.intermediate.dense = nn.Linear(dim, ffn)
        self.output = nn.Module()
        self.output.dense, self.output.LayerNorm = nn.Linear(ffn, dim), nn.LayerNorm(dim, eps=1e-12)
        self.heads = heads

    def forward(self, x, mask):
        s, o = self.attention.self, self.attention.output
        x = o.LayerNorm(o.dense(attention(x, mask, s.query, s.key, s.value, self.heads)) + x)
        return self.output.LayerNorm(self.output.dense(nn.functional.gelu(self.intermediate.dense(x))) + x)


class BertForMaskedLM(nn.Module):
    def __init__(self, vocab, dim, layers, heads, ffn, max_pos):
        super().__init__()
        self.bert = nn.Module()
        self.bert.embeddings = nn.Module()
        e = self.bert.embeddings
        e.word_embeddings, e.position_embeddings = nn.Embedding(vocab, dim), nn.Embedding(max_pos, dim)
        e.token_type_embeddings, e.LayerNorm = nn.Embedding(2, dim), nn.LayerNorm(dim, eps=1e-12)
        self.bert.encoder = nn.Module()
        self.bert.encoder.layer = nn.ModuleList(BertLayer(dim, heads, ffn) for _ in range(layers))
        self.cls = nn.Module()
        self.cls.predictions = nn.Module()
        p = self.cls.predictions
        p.transform = nn.Module()
        p.transform.dense, p.transform.LayerNorm = nn.Linear(dim, dim), nn.LayerNorm(dim, eps=1e-12)
        p.decoder = nn.Linear(dim, vocab, bias=False)
        p.decoder.weight = e.word_embeddings.weight
        p.bias = nn.Parameter(torch.zeros(vocab))

    def forward(self, input_ids, attention_mask, token_type_ids):
        e = self.bert.embeddings
        positions = torch.arange(input_ids.shape[1]).unsqueeze(0)
        x = e.LayerNorm(e.word_embeddings(input_ids) + e.position_embeddings(positions) + e.token_type_embeddings(token_type_ids))
        for layer in self.bert.encoder.layer:
            x = layer(x, attention_mask)
        p = self.cls.predictions
        return p.decoder(p.transform.LayerNorm(nn.functional.gelu(p.transform.dense(x)))) + p.bias


# ---------------------------------------------------------------- int8 dynamic quantization

def quantize_dynamic(src, dst):
    """Rewrites MatMul(x, W) with a constant 2-D W as DynamicQuantizeLinear(x) -> MatMulInteger with
    uint8 weights (per-tensor, asymmetric) -> Cast -> Mul(scale_x * scale_w), as onnxruntime's
    dynamic quantizer does."""
    model = onnx.load(src)
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    nodes = []
    for node in graph.node:
        w = inits.get(node.input[1]) if node.op_type == 'MatMul' else None
        if w is None or len(w.dims) != 2:
            nodes.append(node)
            continue
        weights = numpy_helper.to_array(w).astype(np.float32)
        lo, hi = min(0.0, float(weights.min())), max(0.0, float(weights.max()))
        scale = (hi - lo) / 255.0 or 1.0
        zero = np.uint8(round(-lo / scale))
        q = np.clip(np.round(weights / scale) + zero, 0, 255).astype(np.uint8)
        n = node.name or node.output[0]
        graph.initializer.extend([
            numpy_helper.from_array(q, f'{n}_Wq'),
            numpy_helper.from_array(np.array(scale, dtype=np.float32), f'{n}_Wscale'),
            numpy_helper.from_array(np.array(zero, dtype=np.uint8), f'{n}_Wzero'),
        ])
        nodes += [
            helper.make_node('DynamicQuantizeLinear', [node.input[0]], [f'{n}_Xq', f'{n}_Xscale', f'{n}_Xzero'], name=f'{n}_quant'),
            helper.make_node('MatMulInteger', [f'{n}_Xq', f'{n}_Wq', f'{n}_Xzero', f'{n}_Wzero'], [f'{n}_int'], name=f'{n}_matmul'),
            helper.make_node('Cast', [f'{n}_int'], [f'{n}_float'], to=TensorProto.FLOAT, name=f'{n}_cast'),
            helper.make_node('Mul', [f'{n}_Xscale', f'{n}_Wscale'], [f'{n}_scale'], name=f'{n}_scalemul'),
            helper.make_node('Mul', [f'{n}_float', f'{n}_scale'], [node.output[0]], name=f'{n}_out'),
        ]
    used = {i for node in nodes for i in node.input}
    kept = [i for i in graph.initializer if i.name in used]
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.initializer[:]
    graph.initializer.extend(kept)
    onnx.checker.check_model(model)
    onnx.save(model, dst)


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--arch', choices=['distilbert', 'bert'], default='distilbert')
    ap.add_argument('--out', required=True)
    ap.add_argument('--vocab', help='vocab.txt to use (default: a tiny built-in vocabulary)')
    ap.add_argument('--layers', type=int, default=2)
    ap.add_argument('--dim', type=int, default=32)
    ap.add_argument('--heads', type=int, default=2)
    ap.add_argument('--ffn', type=int, default=64)
    ap.add_argument('--max-pos', type=int, default=64)
    ap.add_argument('--seed', type=int, default=7)
    ap.add_argument('--activation', choices=['log1p_relu', 'log1p_log1p_relu'], default='log1p_relu')
    ap.add_argument('--goldens', action='store_true', help='write goldens.json for GOLDEN_TEXTS')
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    vocab = open(args.vocab).read().split('\n')[:-1] if args.vocab else tiny_vocab()
    index = {t: i for i, t in enumerate(vocab)}
    cls = DistilBertForMaskedLM if args.arch == 'distilbert' else BertForMaskedLM
    model = cls(len(vocab), args.dim, args.layers, args.heads, args.ffn, args.max_pos).eval()
    with torch.no_grad():  # random weights with a spread that gives sparse positive logits
        for name, p in model.named_parameters():
            if p.dim() > 1:
                p.normal_(0, 0.3 if 'embeddings' in name else 1 / math.sqrt(p.shape[-1]))

    os.makedirs(os.path.join(args.out, 'onnx'), exist_ok=True)
    write = lambda name, obj: json.dump(obj, open(os.path.join(args.out, name), 'w'), indent=1, ensure_ascii=False)
    if args.arch == 'distilbert':
        config = {'model_type': 'distilbert', 'architectures': ['DistilBertForMaskedLM'], 'vocab_size': len(vocab), 'dim': args.dim,
                  'n_layers': args.layers, 'n_heads': args.heads, 'hidden_dim': args.ffn, 'max_position_embeddings': args.max_pos,
                  'activation': 'gelu', 'pad_token_id': 0}
    else:
        config = {'model_type': 'bert', 'architectures': ['BertForMaskedLM'], 'vocab_size': len(vocab), 'hidden_size': args.dim,
                  'num_hidden_layers': args.layers, 'num_attention_heads': args.heads, 'intermediate_size': args.ffn,
                  'max_position_embeddings': args.max_pos, 'type_vocab_size': 2, 'hidden_act': 'gelu', 'pad_token_id': 0}
    config['sparse_activation'] = args.activation  # read by lsr to pick the activation
    write('config.json', config)
    write('tokenizer.json', tokenizer_json(vocab))
    write('tokenizer_config.json', {'tokenizer_class': 'BertTokenizer', 'do_lower_case': True, 'model_max_length': args.max_pos,
                                    'unk_token': '[UNK]', 'sep_token': '[SEP]', 'pad_token': '[PAD]', 'cls_token': '[CLS]', 'mask_token': '[MASK]'})
    write('special_tokens_map.json', {'unk_token': '[UNK]', 'sep_token': '[SEP]', 'pad_token': '[PAD]', 'cls_token': '[CLS]', 'mask_token': '[MASK]'})
    open(os.path.join(args.out, 'vocab.txt'), 'w').write('\n'.join(vocab) + '\n')
    rng = np.random.default_rng(args.seed)
    write('idf.json', {t: round(float(rng.uniform(0.1, 8.0)), 4) for t in vocab if t not in SPECIALS})

    names = ['input_ids', 'attention_mask'] + (['token_type_ids'] if args.arch == 'bert' else [])
    dummy = tuple(torch.ones(2, 8, dtype=torch.long) for _ in names)
    fp32 = os.path.join(args.out, 'onnx', 'model.onnx')
    torch.onnx.export(model, dummy, fp32, input_names=names, output_names=['logits'], opset_version=14,
                      dynamic_axes={**{n: {0: 'batch', 1: 'sequence'} for n in names}, 'logits': {0: 'batch', 1: 'sequence'}})
    quantize_dynamic(fp32, os.path.join(args.out, 'onnx', 'model_quantized.onnx'))

    if args.goldens:
        docs = []
        special_ids = [index[t] for t in SPECIALS]

        def sparse(rows):
            """Max over every position of every row, activation, specials zeroed."""
            pooled = None
            for ids in rows:
                inputs = [torch.tensor([ids]), torch.ones(1, len(ids), dtype=torch.long)] + ([torch.zeros(1, len(ids), dtype=torch.long)] if args.arch == 'bert' else [])
                with torch.no_grad():
                    row = model(*inputs)[0].max(dim=0).values
                pooled = row if pooled is None else torch.maximum(pooled, row)
            weights = torch.log1p(torch.relu(pooled))
            if args.activation == 'log1p_log1p_relu':
                weights = torch.log1p(weights)
            weights[special_ids] = 0
            return {vocab[i]: float(weights[i]) for i in torch.nonzero(weights).flatten().tolist()}

        stride = args.max_pos // 2
        for text in GOLDEN_TEXTS:
            tokens, ids = encode(text, index, args.max_pos)
            docs.append({'text': text, 'tokens': tokens, 'weights': sparse([ids]), 'window_weights': sparse(windows(text, index, args.max_pos, stride))})
        write('goldens.json', {'arch': args.arch, 'activation': args.activation, 'max_length': args.max_pos, 'window_stride': stride, 'docs': docs})


if __name__ == '__main__':
    main()

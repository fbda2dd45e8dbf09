"""Golden/double/recurrent: second derivatives through the fused recurrent cells against PyTorch 1.13 (issue 18).

Each program runs torch.gru_cell or torch.lstm_cell (h' or c') on inputs, states, weights and biases that all require
grad, weights the result by a fixed c_w and sums it; the second derivatives with respect to every input then go through
the fused ops' graph rules (GruCell, LstmCellState, LstmCellOutput). See golden_ops.py for the format.
Run from the repository root: /usr/bin/python3 engine.tests/Golden/make_double_recurrent.py
"""
import torch

from golden_ops import Case

torch.manual_seed(20261218)


def cell_case(name, gates, out, op_name, fn, batch=2, inputs=3, hidden=4, bias=True):
    c = Case("recurrent", name, root="double")
    c.input("x", torch.randn(batch, inputs), requires_grad=True)
    c.input("h", torch.randn(batch, hidden) * 0.8, requires_grad=True)
    args = ["x", "h"]
    if gates == 4:
        c.input("c", torch.randn(batch, hidden) * 0.8, requires_grad=True)
        args.append("c")
    c.input("w_ih", torch.randn(gates * hidden, inputs) * 0.5, requires_grad=True)
    c.input("w_hh", torch.randn(gates * hidden, hidden) * 0.5, requires_grad=True)
    args += ["w_ih", "w_hh"]
    if bias:
        c.input("b_ih", torch.randn(gates * hidden) * 0.3, requires_grad=True)
        c.input("b_hh", torch.randn(gates * hidden) * 0.3, requires_grad=True)
        args += ["b_ih", "b_hh"]
    c.op(out, op_name, args, {}, fn)
    c.input("c_w", torch.arange(1, batch * hidden + 1, dtype=torch.float32).reshape(batch, hidden) * 0.2 - 0.9)
    c.op("weighted", "mul", [out, "c_w"], {}, lambda a, b: a * b)
    c.op("root", "sum", ["weighted"], {"dim": None}, torch.sum)
    c.save(backward="root", double=True)


cell_case("gru_cell", 3, "y", "gru_cell", lambda x, h, wi, wh, bi, bh: torch.gru_cell(x, h, wi, wh, bi, bh))
cell_case("gru_cell_no_bias", 3, "y", "gru_cell", lambda x, h, wi, wh: torch.gru_cell(x, h, wi, wh), bias=False)
cell_case("lstm_cell_h", 4, "y", "lstm_cell_h", lambda x, h, c, wi, wh, bi, bh: torch.lstm_cell(x, (h, c), wi, wh, bi, bh)[0])
cell_case("lstm_cell_c", 4, "y", "lstm_cell_c", lambda x, h, c, wi, wh, bi, bh: torch.lstm_cell(x, (h, c), wi, wh, bi, bh)[1])
cell_case("lstm_cell_h_batch1", 4, "y", "lstm_cell_h", lambda x, h, c, wi, wh, bi, bh: torch.lstm_cell(x, (h, c), wi, wh, bi, bh)[0],
          batch=1, hidden=5)

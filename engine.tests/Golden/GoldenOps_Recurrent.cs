namespace ArenaGrad.Tests.Golden;

/// <summary>The recurrent cells (Golden/double/recurrent, make_double_recurrent.py, issue 18): torch.gru_cell and
/// torch.lstm_cell's h' and c', args (x, h[, c], w_ih, w_hh[, b_ih, b_hh]).</summary>
internal sealed class GoldenOps_Recurrent : IGoldenOps
{
    public Tensor? TryRun(string op, Tensor[] args, GoldenAttributes attrs) => op switch
    {
        "gru_cell" => Functional.GruCell(args[0], args[1], args[2], args[3], Arg(args, 4), Arg(args, 5)),
        "lstm_cell_h" => Functional.LstmCell(args[0], (args[1], args[2]), args[3], args[4], Arg(args, 5), Arg(args, 6)).H,
        "lstm_cell_c" => Functional.LstmCell(args[0], (args[1], args[2]), args[3], args[4], Arg(args, 5), Arg(args, 6)).C,
        _ => null,
    };

    private static Tensor? Arg(Tensor[] args, int i) => i < args.Length ? args[i] : null;
}

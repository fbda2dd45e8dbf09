namespace ArenaGrad.Environments;

/// <summary>One episode that ended in the last <c>Step</c>: which environment ran it, its undiscounted return, its
/// length in steps and how it ended (as gym's <c>RecordEpisodeStatistics</c> reports <c>episode["r"]</c> and
/// <c>episode["l"]</c>).</summary>
/// <param name="Env">The index of the environment in the vector.</param>
/// <param name="Return">The sum of the episode's rewards, accumulated in double precision.</param>
/// <param name="Length">The number of steps from the reset to the end, the last step included.</param>
/// <param name="Terminated">True when the episode reached a terminal state (CartPole: pole or cart out of bounds).</param>
/// <param name="Truncated">True when the time limit ended it. Both flags can be true on the same step.</param>
public readonly record struct FinishedEpisode(int Env, double Return, int Length, bool Terminated, bool Truncated);

using System.Threading;

namespace ArenaGrad.Kernels.Gemm;

/// <summary>Persistent worker threads that share one large matrix product with the calling thread, each taking a
/// block of output rows or columns. Owned by an <see cref="Arena"/> made with
/// <see cref="ArenaOptions.IntraOpThreads"/> above 1, and stopped when that arena is disposed or finalized.</summary>
/// <remarks>
/// The product is split over output elements only, never over k, and each element is computed from zero over the
/// same k-blocks (<see cref="GemmProblem"/>), so any thread count gives the same bits as one thread.
/// Workers wait on events that spin briefly before sleeping; a call allocates nothing (the lock an event sleeps on is
/// made in the constructor). A product split over rows is BLIS's scheme: the threads pack each B block together into
/// one <see cref="SharedPanels"/> buffer, meet at a barrier, and multiply their own rows of A against the whole block,
/// so no thread packs or streams the part of B another has packed. A product split over columns needs no sharing (each
/// thread reads only its own columns of B), nor does a thin one (<see cref="ThinGemm"/> packs no B): those run as
/// independent sub-products. The team never refers to its arena, so an arena that is never disposed can still be
/// finalized (its finalizer stops the team).
/// </remarks>
internal sealed class GemmTeam : IDisposable
{
    /// <summary>Products with fewer multiply-adds than this run on the calling thread alone: waking a worker
    /// costs microseconds, about what 2^21 multiply-adds take on one core.</summary>
    public const long MinimumWork = 1L << 21;

    /// <summary>Row blocks are multiples of every micro-kernel's rows (12 and 6) and column blocks of every
    /// micro-kernel's columns (32, 16, 8, 4), so each thread's tiles are whole and aligned.</summary>
    private const int RowAlignment = 12, ColumnAlignment = 32;

    private readonly ManualResetEventSlim[] _start;
    private readonly ManualResetEventSlim _finished = new(false);
    private readonly SharedPanels _panels;
    private readonly long[] _workerAllocations;
    private GemmProblem _problem;
    private bool _splitRows, _sharePanels;
    private int _blockSize;
    private int _running;
    private volatile bool _stopped;

    /// <summary>Starts <paramref name="threads"/> - 1 background workers; the caller is the remaining thread.
    /// <paramref name="roundOnce"/> is the arena's <see cref="ArenaOptions.Deterministic"/>, passed to every product.</summary>
    public GemmTeam(int threads, bool roundOnce = true)
    {
        Threads = threads;
        RoundOnce = roundOnce;
        _start = new ManualResetEventSlim[threads - 1];
        _panels = new SharedPanels(threads);
        _workerAllocations = new long[threads - 1];
        for (int w = 0; w < _start.Length; w++)
        {
            _start[w] = new ManualResetEventSlim(false);
            int part = w + 1;
            var worker = new Thread(() => Work(part))
            {
                IsBackground = true, // never keeps the process alive
                Name = $"ArenaGrad GEMM worker {part}",
            };
            worker.Start();
        }
        // ManualResetEventSlim makes its lock object (24 B) the first time a Wait has to block, which in a training
        // loop can be any step, long after warm-up; a 1 ms wait now makes it here, where the team is made.
        _finished.Wait(1);
    }

    /// <summary>Threads that share a product, the caller included.</summary>
    public int Threads { get; }

    /// <summary>Whether products made for this team round every multiply-add once (see <see cref="GemmProblem.RoundOnce"/>).</summary>
    public bool RoundOnce { get; }

    /// <summary>Managed bytes the workers had allocated, all told, when each last finished a part: a test reads it
    /// before and after products to see that the workers allocate nothing per call (an allocation meter reads only the
    /// calling thread).</summary>
    internal long WorkerAllocatedBytes
    {
        get
        {
            long sum = 0;
            foreach (long bytes in _workerAllocations) sum += bytes;
            return sum;
        }
    }

    /// <summary>Runs <paramref name="problem"/>, split across the team when it is big enough to repay it.</summary>
    public void Run(in GemmProblem problem)
    {
        int threads = Threads;
        if (threads == 1 || (long)problem.M * problem.N * problem.K < MinimumWork || !TrySplit(problem, threads))
        {
            problem.Run();
            return;
        }

        _sharePanels = _splitRows && !problem.IsThin;
        if (_sharePanels) _panels.Reserve(PackedGemm.PackedBFloats(problem.K, problem.N));
        Volatile.Write(ref _running, threads - 1);
        foreach (ManualResetEventSlim start in _start) start.Set();
        RunPart(0);
        _finished.Wait();
        _finished.Reset();
    }

    /// <summary>Ends the workers (each disposes its own start event on the way out). Safe to call more than once,
    /// and from the arena's finalizer: the events are kept alive by the worker threads, not finalized before it.</summary>
    public void Dispose()
    {
        if (_stopped) return;
        _stopped = true;
        foreach (ManualResetEventSlim start in _start) start.Set();
        _finished.Dispose();
    }

    /// <summary>Splits the larger output dimension into aligned blocks, one per thread; false when that dimension is
    /// too short to give every thread a block.</summary>
    private bool TrySplit(in GemmProblem problem, int threads)
    {
        bool rows = problem.M >= problem.N;
        int length = rows ? problem.M : problem.N, alignment = rows ? RowAlignment : ColumnAlignment;
        int block = (length + threads - 1) / threads;
        block = (block + alignment - 1) / alignment * alignment;
        if (block * (threads - 1) >= length) return false; // the last thread would get nothing
        _problem = problem;
        _splitRows = rows;
        _blockSize = block;
        return true;
    }

    private void RunPart(int part)
    {
        GemmProblem problem = _problem;
        int length = _splitRows ? problem.M : problem.N;
        int start = Math.Min(length, part * _blockSize), end = Math.Min(length, start + _blockSize);
        if (_sharePanels) problem.Run(new GemmPart(_panels, part, start, end)); // every member packs and meets, rows or none
        else if (start == end) return;
        else if (_splitRows) problem.Rows(start, end).Run();
        else problem.Columns(start, end).Run();
    }

    private void Work(int part)
    {
        ManualResetEventSlim start = _start[part - 1];
        while (true)
        {
            start.Wait();
            start.Reset();
            if (_stopped)
            {
                start.Dispose();
                return;
            }
            RunPart(part);
            _workerAllocations[part - 1] = GC.GetAllocatedBytesForCurrentThread(); // before the decrement publishes it
            if (Interlocked.Decrement(ref _running) == 0) _finished.Set();
        }
    }
}

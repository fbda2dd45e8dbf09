using ArenaGrad.Nn;
using static ArenaGrad.Tests.AutogradApi.HigherOrderReference;

namespace ArenaGrad.Tests.AutogradApi;

/// <summary>Tensor hooks (register_hook) against PyTorch 1.13 (Golden/make_custom_and_hooks.py), and module forward hooks.</summary>
[TestFixture]
public sealed class HookTests
{
    [Test]
    public void TensorHooks_RunInOrder_ChangeWhatFlowsUpstream_AndALeafHookChangesGrad()
    {
        var reference = Load("custom_and_hooks.json").GetProperty("hooks");
        using var arena = new Arena();
        Tensor x = arena.FromData(reference.Floats("x"), [3], requiresGrad: true);
        Tensor h = x * 2f;
        var order = new List<string>();
        h.RegisterHook(g => { order.Add("first"); return g + 1f; });
        h.RegisterHook(g => { order.Add("second"); return g * 3f; });
        x.RegisterHook(g => g * 0.5f);
        (h * h).Sum().Backward();
        AssertClose(x.Grad!.Value.ToArray(), reference.Floats("grad_x"), "x.grad");
        Assert.That(order, Is.EqualTo(reference.GetProperty("order").EnumerateArray().Select(e => e.GetString()).ToArray()));
    }

    [Test]
    public void RemovedHook_NoLongerRuns_AndAHookReturningNullKeepsTheGradient()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([1f, 2f], [2], requiresGrad: true);
        int calls = 0;
        RemovableHandle handle = x.RegisterHook(g => { calls++; return null; });
        (x * 3f).Sum().Backward();
        Assert.That(x.Grad!.Value.ToArray(), Is.EqualTo(new[] { 3f, 3f }));
        handle.Remove();
        handle.Remove();
        x.ZeroGrad();
        (x * 3f).Sum().Backward();
        Assert.That(calls, Is.EqualTo(1));
    }

    [Test]
    public void HookChangingTheShape_IsRefused_AndAHookOnATensorWithoutGrad()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([1f, 2f], [2], requiresGrad: true);
        x.RegisterHook(ChangesShape);
        var error = Assert.Throws<InvalidOperationException>(() => (x * 3f).Sum().Backward());
        Assert.That(error!.Message, Is.EqualTo("hook 'ChangesShape' has changed the size of value"));
        Assert.That(Assert.Throws<InvalidOperationException>(() => arena.FromData([1f], [1]).RegisterHook(g => g))!.Message,
            Is.EqualTo("cannot register a hook on a tensor that doesn't require gradient"));
    }

    private static Tensor? ChangesShape(Tensor grad) => grad.Sum();

    [Test]
    public void Hooks_RunForAutogradGradToo_OncePerTensor()
    {
        using var arena = new Arena();
        Tensor x = arena.FromData([1f, 2f], [2], requiresGrad: true);
        Tensor h = x * x;
        int calls = 0;
        h.RegisterHook(g => { calls++; return g * 10f; });
        Tensor gx = Autograd.Grad(h.Sum(), x, retainGraph: true);
        Assert.That(gx.ToArray(), Is.EqualTo(new[] { 20f, 40f }));
        Assert.That(x.Grad.HasValue, Is.False);
        Tensor?[] both = Autograd.Grad([h.Sum()], [x, h]);      // h is an input and on the path to x
        Assert.That(both[1]!.Value.ToArray(), Is.EqualTo(new[] { 10f, 10f }));
        Assert.That(both[0]!.Value.ToArray(), Is.EqualTo(new[] { 20f, 40f }));
        Assert.That(calls, Is.EqualTo(2), "once per pass");
    }

    [Test]
    public void ModuleForwardHooks_RunThroughCall_AndContainersCallTheirLayers()
    {
        using var arena = new Arena(new ArenaOptions { Seed = 3 });
        var inner = new Linear(arena, 2, 3);
        var model = new Sequential(inner, new Tanh());
        Tensor? seen = null;
        var log = new List<string>();
        RemovableHandle pre = inner.RegisterForwardPreHook((m, input) => { log.Add("pre"); return input * 2f; });
        RemovableHandle post = inner.RegisterForwardHook((m, input, output) => { log.Add("post"); seen = output; });
        Tensor x = arena.FromData([1f, -1f], [1, 2]);
        Tensor y = model.Forward(x);
        Assert.That(log, Is.EqualTo(new[] { "pre", "post" }), "Sequential.Forward calls its layers with Call");
        Assert.That(seen!.Value.ToArray(), Is.EqualTo(inner.Forward(x * 2f).ToArray()), "the pre-hook's input replaced x");
        Assert.That(y.ToArray(), Is.EqualTo(seen!.Value.Tanh().ToArray()));
        inner.Forward(x);
        Assert.That(log, Has.Count.EqualTo(2), "Forward itself runs no hooks (PyTorch's forward() does not either)");
        pre.Remove();
        post.Remove();
        model.Call(x);
        Assert.That(log, Has.Count.EqualTo(2));
    }

    [Test]
    public void CapturedTrainingStep_RefusesToReplayWhileATensorHasAHook()
    {
        using var arena = new ArenaGrad.Arena(new ArenaOptions { Seed = 2 });
        var model = new Linear(arena, 3, 2);
        var optimizer = new ArenaGrad.Optim.Sgd(model.Parameters(), lr: 0.1f);
        Tensor input = arena.FromData([1f, 2f, 3f], [1, 3]);
        var step = arena.CaptureTraining(input, x => model.Forward(x).Square().Sum(), optimizer);
        RemovableHandle handle = model.Parameters()[0].RegisterHook(g => g * 2f);
        var error = Assert.Throws<InvalidOperationException>(() => step.Replay());
        Assert.That(error!.Message, Does.StartWith("A captured training step runs the fused backward, which does not call tensor hooks"));
        handle.Remove();
        step.Replay();
    }
}

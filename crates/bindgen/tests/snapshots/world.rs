#[derive(::tether::ComponentType, Debug, Clone, PartialEq)]
pub struct Config {
    pub verbose: bool,
}
/// What the embedder implements, on its store's data type, to provide the world `app`.
///
/// An `Err` returned from a method traps the guest that called it; a WIT `result` is the `Result` inside, which the guest receives.
pub trait AppImports: Sized + Send + 'static {
    fn get_config(&mut self) -> ::tether::Result<Config>;
}
/// Defines the world `app` in `linker`, implemented by `T`'s `AppImports` methods.
pub fn add_app_imports_to_linker<T: AppImports + Send + 'static>(
    linker: &mut ::tether::Linker<T>,
) -> ::tether::Result<()> {
    let mut inst = linker.root();
    inst.func_wrap(
        "get-config",
        |mut store: ::tether::StoreContextMut<'_, T>, (): ()| {
            let ret = <T as AppImports>::get_config(store.data_mut())?;
            Ok((ret,))
        },
    )?;
    Ok(())
}
const _: () = {
    struct Probe<R>(::core::marker::PhantomData<R>);
    impl<R: Send + 'static> Probe<R> {
        const FITS: () = ();
    }
    trait Unfit {
        const FITS: () = ::core::panic!(
            "bindgen!: the Rust type `crate::Logger` that `with` maps the WIT resource `test:app/logs/logger` (tests/wit/world.wit:6:12) to must be `Send + 'static`"
        );
    }
    impl<R> Unfit for Probe<R> {}
    Probe::<crate::Logger>::FITS
};
/// The world `app`: its exports, called through typed functions.
#[derive(Clone)]
#[allow(clippy::type_complexity)]
pub struct App {
    hooks: self::exports::hooks::Guest,
    run: ::tether::TypedFunc<(Vec<String>,), (Result<u32, String>,)>,
}
impl App {
    /// Instantiates `component` with the imports `linker` defines, and finds its
    /// exports.
    pub fn instantiate<T: 'static>(
        mut store: impl ::tether::AsContextMut<Data = T>,
        component: &::tether::Component,
        linker: &::tether::Linker<T>,
    ) -> ::tether::Result<App> {
        let instance = linker.instantiate(&mut store, component)?;
        App::new(store, &instance)
    }
    /// Finds the world's exports in `instance` and checks their types.
    pub fn new(
        mut store: impl ::tether::AsContextMut,
        instance: &::tether::Instance,
    ) -> ::tether::Result<App> {
        let hooks = self::exports::hooks::Guest::new(&mut store, instance)?;
        let run = Self::typed(Self::func(&mut store, instance, "run")?, "run")?;
        Ok(App { hooks, run })
    }
    /// Defines every import of the world in `linker`, implemented by `T`.
    pub fn add_to_linker<T>(linker: &mut ::tether::Linker<T>) -> ::tether::Result<()>
    where
        T: self::test::app::logs::Host + self::clock::Host + AppImports + Send + 'static,
    {
        self::test::app::logs::add_to_linker(linker)?;
        self::clock::add_to_linker(linker)?;
        add_app_imports_to_linker(linker)?;
        Ok(())
    }
    /// The functions of the exported interface.
    pub fn hooks(&self) -> &self::exports::hooks::Guest {
        &self.hooks
    }
    fn func(
        store: &mut impl ::tether::AsContextMut,
        instance: &::tether::Instance,
        name: &str,
    ) -> ::tether::Result<::tether::Func> {
        instance
            .get_func(&mut *store, name)
            .ok_or_else(|| ::tether::Error::msg(
                ::std::format!("the component exports no function `{name}`"),
            ))
    }
    fn typed<P: ::tether::ComponentNamedList, R: ::tether::ComponentNamedList>(
        f: ::tether::Func,
        name: &str,
    ) -> ::tether::Result<::tether::TypedFunc<P, R>> {
        ::tether::TypedFunc::new(f)
            .map_err(|e| {
                e
                    .context(
                        ::std::format!("exported function `{name}` has the wrong type"),
                    )
            })
    }
    pub fn call_run(
        &self,
        mut store: impl ::tether::AsContextMut,
        args: Vec<String>,
    ) -> ::tether::Result<Result<u32, String>> {
        let (ret,) = self.run.call(&mut store, (args,))?;
        Ok(ret)
    }
}
pub mod test {
    pub mod app {
        pub mod logs {
            /// What the embedder implements, on its store's data type, to provide the interface `test:app/logs@1.2.3`.
            ///
            /// An `Err` returned from a method traps the guest that called it; a WIT `result` is the `Result` inside, which the guest receives.
            pub trait Host: Sized + Send + 'static {
                fn logger_log(
                    &mut self,
                    this: &mut crate::Logger,
                    message: String,
                ) -> ::tether::Result<()>;
                fn default_logger(&mut self) -> ::tether::Result<crate::Logger>;
            }
            /// Defines the interface `test:app/logs@1.2.3` in `linker`, implemented by `T`'s `Host` methods.
            pub fn add_to_linker<T: Host + Send + 'static>(
                linker: &mut ::tether::Linker<T>,
            ) -> ::tether::Result<()> {
                let mut inst = linker.instance("test:app/logs@1.2.3")?;
                inst.resource_host::<crate::Logger>("logger")?;
                inst.method(
                    "[method]logger.log",
                    |
                        this: &mut crate::Logger,
                        mut store: ::tether::StoreContextMut<'_, T>,
                        (message,): (String,)|
                    {
                        <T as Host>::logger_log(store.data_mut(), this, message)?;
                        Ok(())
                    },
                )?;
                inst.func_wrap(
                    "default-logger",
                    |mut store: ::tether::StoreContextMut<'_, T>, (): ()| {
                        let ret = <T as Host>::default_logger(store.data_mut())?;
                        Ok((store.push(ret)?,))
                    },
                )?;
                Ok(())
            }
        }
    }
}
pub mod clock {
    /// What the embedder implements, on its store's data type, to provide the interface `clock`.
    ///
    /// An `Err` returned from a method traps the guest that called it; a WIT `result` is the `Result` inside, which the guest receives.
    pub trait Host: Sized + Send + 'static {
        fn now(&mut self) -> ::tether::Result<u64>;
    }
    /// Defines the interface `clock` in `linker`, implemented by `T`'s `Host` methods.
    pub fn add_to_linker<T: Host + Send + 'static>(
        linker: &mut ::tether::Linker<T>,
    ) -> ::tether::Result<()> {
        let mut inst = linker.instance("clock")?;
        inst.func_wrap(
            "now",
            |mut store: ::tether::StoreContextMut<'_, T>, (): ()| {
                let ret = <T as Host>::now(store.data_mut())?;
                Ok((ret,))
            },
        )?;
        Ok(())
    }
}
pub mod exports {
    pub mod hooks {
        /// The functions of the interface `hooks` that the guest exports.
        #[derive(Clone)]
        #[allow(clippy::type_complexity)]
        pub struct Guest {
            on_start: ::tether::TypedFunc<(bool,), ()>,
        }
        impl Guest {
            /// Finds the interface's functions in `instance` and checks their types.
            pub fn new(
                mut store: impl ::tether::AsContextMut,
                instance: &::tether::Instance,
            ) -> ::tether::Result<Guest> {
                let on_start = Self::typed(
                    Self::func(&mut store, instance, "on-start")?,
                    "on-start",
                )?;
                Ok(Guest { on_start })
            }
            fn func(
                store: &mut impl ::tether::AsContextMut,
                instance: &::tether::Instance,
                name: &str,
            ) -> ::tether::Result<::tether::Func> {
                instance
                    .get_func_at(&mut *store, &["hooks", name])
                    .ok_or_else(|| ::tether::Error::msg(
                        ::std::format!(
                            "the component exports no function `hooks#{name}`"
                        ),
                    ))
            }
            fn typed<P: ::tether::ComponentNamedList, R: ::tether::ComponentNamedList>(
                f: ::tether::Func,
                name: &str,
            ) -> ::tether::Result<::tether::TypedFunc<P, R>> {
                ::tether::TypedFunc::new(f)
                    .map_err(|e| {
                        e
                            .context(
                                ::std::format!(
                                    "exported function `hooks#{name}` has the wrong type"
                                ),
                            )
                    })
            }
            pub fn call_on_start(
                &self,
                mut store: impl ::tether::AsContextMut,
                verbose: bool,
            ) -> ::tether::Result<()> {
                let () = self.on_start.call(&mut store, (verbose,))?;
                Ok(())
            }
        }
    }
}

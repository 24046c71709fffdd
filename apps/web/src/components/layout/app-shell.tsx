"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { signOut } from "next-auth/react";
import { type ReactNode, useState } from "react";
import { Brand } from "@/components/ui/brand";
import { Icon, type TIconName } from "@/components/ui/icons";
import { useCurrentUser } from "@/modules/auth/hooks/use-current-user";

export type TNavItem = { href: string; label: string; icon: TIconName; badge?: number };

function isActive(pathname: string, href: string): boolean {
  return href === "/" ? pathname === "/" : pathname === href || pathname.startsWith(`${href}/`);
}

function NavLink({ item, pathname, onNavigate }: { item: TNavItem; pathname: string; onNavigate: () => void }) {
  return (
    <Link
      href={item.href}
      className="nav-link"
      aria-current={isActive(pathname, item.href) ? "page" : undefined}
      onClick={onNavigate}
    >
      <Icon name={item.icon} />
      {item.label}
      {item.badge ? (
        <span className="nav-badge">
          {item.badge}
          <span className="visually-hidden"> pending</span>
        </span>
      ) : null}
    </Link>
  );
}

const ownerNav: TNavItem[] = [
  { href: "/", label: "Overview", icon: "home" },
  { href: "/datasets/new", label: "Upload data", icon: "upload" },
  { href: "/jobs/new", label: "New job", icon: "plus" },
  { href: "/compare", label: "Compare", icon: "chart" },
];

/** The signed-in frame: sidebar navigation on wide screens, a top bar with a menu button on phones. */
export function AppShell({ children, adminNav }: { children: ReactNode; adminNav?: TNavItem[] }) {
  const pathname = usePathname();
  const { user } = useCurrentUser();
  const [menuOpen, setMenuOpen] = useState(false);

  const closeMenu = () => setMenuOpen(false);

  return (
    <div className="shell">
      <a className="skip-link" href="#content">
        Skip to content
      </a>
      <header className="topbar">
        <Brand />
        <button
          type="button"
          className="btn btn-sm"
          aria-expanded={menuOpen}
          aria-controls="sidebar"
          onClick={() => setMenuOpen((open) => !open)}
        >
          <Icon name="menu" size={16} />
          Menu
        </button>
      </header>
      {menuOpen && <div className="scrim" aria-hidden="true" onClick={closeMenu} />}
      <aside
        id="sidebar"
        className="sidebar"
        data-open={menuOpen}
        aria-label="Main"
        onKeyDown={(event) => {
          if (event.key === "Escape") closeMenu();
        }}
      >
        <Brand />
        <nav className="nav" aria-label="Primary">
          {ownerNav.map((item) => (
            <NavLink key={item.href} item={item} pathname={pathname} onNavigate={closeMenu} />
          ))}
          {user?.role === "ADMIN" && adminNav && (
            <>
              <div className="nav-section">Admin</div>
              {adminNav.map((item) => (
                <NavLink key={item.href} item={item} pathname={pathname} onNavigate={closeMenu} />
              ))}
            </>
          )}
        </nav>
        <div className="sidebar-footer">
          <Link
            href="/settings"
            className="nav-link"
            aria-current={isActive(pathname, "/settings") ? "page" : undefined}
            onClick={closeMenu}
          >
            <Icon name="key" />
            Account
          </Link>
          {user && (
            <div className="user-chip">
              <span className="email" title={user.email}>
                {user.email}
              </span>
              <span className="faint">{user.role === "ADMIN" ? "Administrator" : "Data owner"}</span>
            </div>
          )}
          <button type="button" className="btn btn-sm" onClick={() => signOut({ callbackUrl: "/login" })}>
            Sign out
          </button>
        </div>
      </aside>
      <main className="main" id="content" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}

// Insole electronics enclosure: a box and a lid, parametric (OpenSCAD).
//
// Holds, bottom to top: the 500 mAh LiPo (BT1, Adafruit 1578: 36 x 29 x 4.75 mm) on foam
// tape, the perfboard cut to 46 x 34 mm (18 x 13 holes) carrying the XIAO nRF52840 (U1,
// 21 x 17.5 mm) at one end and the dividers, mux and motor driver, and the coin motor (M1,
// 10 mm) pressed into a pocket in the wall that faces the shoe. USB-C opens at the board's
// end; the insole cable enters at the other end through a hole with two zip-tie posts for
// strain relief; two belt loops on the back take a 16 mm hook-and-loop strap around the
// heel counter or the laces. The cell sits at the USB end; the zip-tie posts at the cable
// end also carry that end of the perfboard.
//
// Render: openscad -o box.stl -D part=\"box\" enclosure.scad   (and part=\"lid\")
// Outside size at the defaults: 50.2 x 38.2 x 21.6 mm (box 20.0 mm + lid plate 1.6 mm; the
// lid's lip sits inside), plus the two belt loops standing 3.7 mm off the back.
// Print in PETG (sweat, heat in a shoe), 0.2 mm layers, no supports with the box open side up.

part = "both";          // "box", "lid" or "both"

// what goes inside (mm)
cell = [36, 29, 4.75];  // LiPo L x W x T
foam = 1.0;             // foam tape under the cell
board = [46, 34, 1.6];  // perfboard
parts_h = 10;           // tallest part above the perfboard (XIAO on headers, mux breakout)
usb = [9.5, 4.0];       // USB-C plug opening W x H
usb_z = 2.0;            // USB-C centre above the perfboard's top
cable_d = 4.5;          // insole cable (10-way flat ribbon folded, or a 10-core round cable)
motor_d = 10.4;         // coin motor pocket
motor_depth = 1.2;

// shell
wall = 1.6;
floor_t = 1.6;
lid_t = 1.6;
lip = 1.6;              // lid lip height into the box
clear = 0.5;            // clearance around the cell and the board
strap = [16.5, 2.5];    // slot for a 16 mm hook-and-loop strap: width x thickness
fit = 0.2;              // lid lip clearance

inner = [max(cell[0], board[0]) + 2 * clear,
         max(cell[1], board[1]) + 2 * clear,
         foam + cell[2] + 1 + board[2] + parts_h];
outer = [inner[0] + 2 * wall, inner[1] + 2 * wall, inner[2] + floor_t];
board_z = floor_t + foam + cell[2] + 1;  // underside of the perfboard

echo(str("outside: ", outer[0], " x ", outer[1], " x ", outer[2] + lid_t, " mm (box + lid)"));

module box() {
    difference() {
        cube(outer);
        translate([wall, wall, floor_t]) cube([inner[0], inner[1], inner[2] + 1]);
        // USB-C at the -x end, centred across, level with the XIAO's connector
        translate([-1, outer[1] / 2 - usb[0] / 2, board_z + board[2] + usb_z - usb[1] / 2])
            cube([wall + 2, usb[0], usb[1]]);
        // insole cable at the +x end, under the perfboard, between the zip-tie posts
        translate([outer[0] - wall - 1, outer[1] / 2, (floor_t + board_z) / 2])
            rotate([0, 90, 0]) cylinder(d = cable_d + 0.6, h = wall + 2, $fn = 32);
        // motor pocket in the +y wall, from the inside
        translate([outer[0] / 2, outer[1] - wall + motor_depth - 0.01, board_z + board[2] + motor_d / 2])
            rotate([90, 0, 0]) cylinder(d = motor_d, h = motor_depth + 0.01, $fn = 48);
    }
    // zip-tie posts inside the cable entry: the cable is tied to them, so a pull lands on the box
    for (dy = [-cable_d, cable_d])
        translate([outer[0] - wall - 5, outer[1] / 2 + dy - 1.5, floor_t]) difference() {
            cube([3, 3, board_z - floor_t - 0.5]);
            translate([-1, 0.75, board_z - floor_t - 3]) cube([5, 1.5, 1.5]);
        }
    // two belt loops on the back (-y): the strap runs along x between each loop's bar and the wall
    for (x = [outer[0] * 0.25, outer[0] * 0.75])
        translate([x - 3, -strap[1] - 1.2, 0]) difference() {
            cube([6, strap[1] + 1.2 + 0.01, outer[2]]);
            translate([-1, 1.2, 2]) cube([8, strap[1] + 0.02, strap[0]]);
        }
}

module lid() {
    cube([outer[0], outer[1], lid_t]);
    translate([wall + fit, wall + fit, lid_t])
        difference() {
            cube([inner[0] - 2 * fit, inner[1] - 2 * fit, lip]);
            translate([1.2, 1.2, -1]) cube([inner[0] - 2 * fit - 2.4, inner[1] - 2 * fit - 2.4, lip + 2]);
        }
}

if (part == "box" || part == "both") box();
if (part == "lid") lid();
if (part == "both") translate([0, outer[1] + 10, 0]) lid();
